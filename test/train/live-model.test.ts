// Generation between training steps (src/train/live-model.ts, the app's playground during a run):
// its base output is the untouched model's at every step — for LoRA-GA and PiSSA too, which train on
// W − s·B₀A₀ and swap their initial adapters in for it — its adapted output starts at the base (B₀A₀
// adds nothing yet, or adds back what was taken from W), and generating does not change what the run
// trains: the trained adapters are put back exactly.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDataset } from '../../src/data/prepare';
import { defaultConfig, type Method } from '../../src/train/config';
import { runJob } from '../../src/train/job';
import { modelKind } from '../../src/train/model-kinds';
import { testGpu } from '../gpu';
import { loadFixture } from '../engine/fixtures';

const DATA = readFileSync(join(import.meta.dirname, '..', 'datasets', 'sentiment.jsonl'), 'utf8');
const PROMPT = Uint32Array.from([5, 17, 3, 40, 9]);
const OPTIONS = { maxNewTokens: 4, stopToken: null, padToken: 0 };

describe('generating between training steps', () => {
  for (const method of ['lora', 'pissa'] as const satisfies Method[]) {
    it(`${method}: the base output stays the untrained model's, the adapted one starts there, and generating leaves training unchanged`, async () => {
      const gpu = await testGpu();
      const { model } = await loadFixture('smollm2');
      const config = { ...defaultConfig(method), steps: 3, batchSize: 2, seqLen: 48, rank: 4, scanBatches: 2, lr: 2e-2, warmupFraction: 0, evalEvery: 0, generateSamples: 0, valFraction: 0.2, checkpointEvery: 0 };
      const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);

      const untouched = await modelKind(model).build(gpu, model, { B: 1, S: 0, T: 16 }, 'f32', () => {});
      const base = (await untouched.model.generate([PROMPT], OPTIONS))[0];
      untouched.release();

      const seen: Array<{ base: number[]; adapted: number[] }> = [];
      const watched = await runJob({
        gpu,
        model,
        data,
        config,
        control: {
          checkpoint: async () => {},
          between: async (live) => {
            seen.push({ base: (await live.generate('base', [PROMPT], OPTIONS))[0], adapted: (await live.generate('adapted', [PROMPT], OPTIONS))[0] });
          },
        },
      });
      const unwatched = await runJob({ gpu, model, data, config });

      expect(seen).toHaveLength(config.steps);
      for (const step of seen) expect(step.base).toEqual(base);
      // Before the first step the adapters add nothing: B₀ = 0 (LoRA), or PiSSA's B₀A₀ added back to W − s·B₀A₀.
      expect(seen[0].adapted).toEqual(base);
      expect(watched.steps.map((s) => s.loss)).toEqual(unwatched.steps.map((s) => s.loss));
      for (const [name, a] of watched.trained) expect(a.B, name).toEqual(unwatched.trained.get(name)!.B);
    });
  }

  it('refuses full training, whose weights themselves change', async () => {
    const { model } = await loadFixture('smollm2');
    const config = { ...defaultConfig('full'), steps: 1, batchSize: 2, seqLen: 48, lr: 1e-3, evalEvery: 0, generateSamples: 0, valFraction: 0.2, checkpointEvery: 0 };
    const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);
    let refusal = '';
    await runJob({ gpu: await testGpu(), model, data, config, control: { checkpoint: async () => {}, between: (live) => live.generate('base', [PROMPT], OPTIONS).then(() => {}, (error: Error) => void (refusal = error.message)) } });
    expect(refusal).toMatch(/full training/);
  });
});
