// Decoding speed: new tokens per second of one greedy generation (the prompt in, then `newTokens`
// tokens out), through the key/value cache (src/engine/generate.ts) against re-running the model
// over the whole sequence for every token, as generation worked before the cache. Both sides run
// the same weights and prompt, interleaved; their tokens are compared as well.

import type { Gpu } from '../../src/gpu/gpu';
import { Transformer } from '../../src/engine/transformer';
import { generateByRerun, generateTokens } from '../../src/engine/generate';
import type { BenchModel } from './model';
import { timeInterleaved } from './timing';

export interface DecodeResult {
  prompt_tokens: number;
  new_tokens: number;
  cached_seconds: number;
  cached_tokens_per_s: number;
  rerun_seconds: number | null;
  rerun_tokens_per_s: number | null;
  /** Cached over re-run tokens/s. */
  speedup: number | null;
  /** Whether both sides generated the same greedy tokens. */
  same_tokens: boolean | null;
  reps: number;
  error?: string;
}

export async function measureDecode(gpu: Gpu, model: BenchModel, weights: Map<string, GPUBuffer>, maxReps: number, until: number): Promise<DecodeResult> {
  const { prompt: promptLength, newTokens } = model.setup.decode;
  const prompt = model.batch.tokens.slice(0, promptLength);
  const options = { maxNewTokens: newTokens, stopToken: null, padToken: 0 };
  // The cache's model takes the prompt in one prefill pass; the re-run's holds the whole sequence.
  const cachedModel = new Transformer(gpu, model.spec, weights, { B: 1, T: promptLength });
  const rerunModel = new Transformer(gpu, model.spec, weights, { B: 1, T: promptLength + newTokens });
  const outputs: { cached?: number[]; rerun?: number[] } = {};
  try {
    const t = await timeInterleaved(
      { run: async () => (outputs.cached = (await generateTokens(cachedModel, [prompt], options))[0]) },
      { run: async () => (outputs.rerun = (await generateByRerun(rerunModel, [prompt], options))[0]) },
      null,
      { maxReps, until },
    );
    const perSecond = (seconds: number | null) => (seconds ? newTokens / seconds : null);
    const cached = perSecond(t.ours.seconds)!;
    const rerun = perSecond(t.tfjs.seconds);
    return {
      prompt_tokens: promptLength,
      new_tokens: newTokens,
      cached_seconds: t.ours.seconds!,
      cached_tokens_per_s: cached,
      rerun_seconds: t.tfjs.seconds,
      rerun_tokens_per_s: rerun,
      speedup: rerun ? cached / rerun : null,
      same_tokens: outputs.rerun ? outputs.cached!.every((token, i) => token === outputs.rerun![i]) : null,
      reps: t.ours.reps,
      ...(t.tfjs.error ? { error: t.tfjs.error } : {}),
    };
  } finally {
    cachedModel.destroy();
    rerunModel.destroy();
  }
}
