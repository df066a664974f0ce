// Generation with the decoder-only Transformer: each prompt is prefilled into a key/value cache and
// then grows one token a step (./kv-decoder.ts). generateByRerun is the plain way — every new token
// re-runs the training-shaped model over the whole rows — kept as the cache's reference in the tests
// and its baseline in the decode benchmark. Greedy unless options.pick.

import type { Transformer } from './transformer';
import type { GenerateOptions } from './trainable';
import { KvDecoder } from './kv-decoder';
import { argmax } from './sampling';

/** Each prompt's continuation through a key/value cache, one prompt at a time. */
export async function generateTokens(model: Transformer, prompts: readonly Uint32Array[], options: GenerateOptions): Promise<number[][]> {
  if (prompts.length === 0 || options.maxNewTokens < 1) return prompts.map(() => []);
  const pick = options.pick ?? argmax;
  const { maxPositions } = model.spec;
  // A prompt that leaves no room keeps its end, as the re-run does.
  const longest = Math.max(...prompts.map((p) => Math.min(p.length, maxPositions - 1) + options.maxNewTokens));
  const decoder = new KvDecoder(model, Math.min(maxPositions, longest));
  try {
    const results: number[][] = [];
    for (const [i, prompt] of prompts.entries()) {
      if (prompt.length === 0) throw new RangeError('cannot generate from an empty prompt');
      decoder.reset();
      let logits = await decoder.append(prompt.length >= decoder.maxLength ? prompt.subarray(prompt.length - decoder.maxLength + 1) : prompt);
      options.onPass?.();
      const generated: number[] = [];
      for (;;) {
        const next = pick(logits);
        generated.push(next);
        options.onToken?.(i, next);
        if (next === options.stopToken || generated.length >= options.maxNewTokens || decoder.size >= decoder.maxLength) break;
        logits = await decoder.append([next]);
        options.onPass?.();
      }
      results.push(generated);
    }
    return results;
  } finally {
    decoder.destroy();
  }
}

/** The same continuations by re-running the rows for every token: up to B prompts side by side, limited to the model's T. */
export async function generateByRerun(model: Transformer, prompts: readonly Uint32Array[], options: GenerateOptions): Promise<number[][]> {
  const pick = options.pick ?? argmax;
  const { B, T } = model.shape;
  const V = model.spec.vocabSize;
  const results: number[][] = [];
  for (let first = 0; first < prompts.length; first += B) {
    const group = prompts.slice(first, first + B).map((p) => {
      if (p.length === 0) throw new RangeError('cannot generate from an empty prompt');
      // Keep the end of a prompt that leaves no room to generate.
      return Array.from(p.length >= T ? p.subarray(p.length - T + 1) : p);
    });
    const generated: number[][] = group.map(() => []);
    const done = group.map(() => false);
    for (let step = 0; step < options.maxNewTokens; step++) {
      const tokens = new Uint32Array(B * T).fill(options.padToken);
      group.forEach((row, b) => tokens.set(row, b * T));
      model.setBatch(tokens, new Int32Array(B * T).fill(-100));
      await model.gpu.run('generate', (enc) => model.forward(enc, null));
      options.onPass?.();
      for (const [b, row] of group.entries()) {
        if (done[b]) continue;
        const logits = await model.gpu.readF32(model.logits, V, (b * T + row.length - 1) * V);
        const next = pick(logits);
        generated[b].push(next);
        options.onToken?.(first + b, next);
        row.push(next);
        if (next === options.stopToken || row.length >= T) done[b] = true;
      }
      if (done.every(Boolean)) break;
    }
    results.push(...generated);
  }
  return results;
}
