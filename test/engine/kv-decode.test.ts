// Generation through the key/value cache against generation by full re-runs, on every fixture, as
// it is and with adapters: the same greedy tokens, and the same logits at every step within 1e-5
// of their largest. A decoder-only model's cache has rows for fewer tokens than the prompt, so the
// prompt is prefilled in chunks; the re-run holds the whole sequence, with a second prompt beside
// it. T5 runs its encoder once and then decodes against the cached cross-attention keys and values.

import { describe, expect, it } from 'vitest';
import { openAnyModel } from '../../src/model/open';
import { nodeModelFiles } from '../../src/model/node-files';
import { modelKind, storedWeightFormat } from '../../src/train/model-kinds';
import { generateByRerun } from '../../src/engine/generate';
import { t5GenerateByRerun } from '../../src/engine/t5-generate';
import { T5Model } from '../../src/engine/t5-model';
import { argmax } from '../../src/engine/sampling';
import { Random } from '../../src/engine/random';
import type { GenerateOptions, TrainableModel } from '../../src/engine/trainable';
import { testGpu } from '../gpu';
import { FIXTURES, fixturePath } from './fixtures';

const NEW_TOKENS = 6;

/** Greedy tokens and every step's logits, per prompt. */
async function greedy(generate: (options: GenerateOptions) => Promise<number[][]>): Promise<{ tokens: number[][]; logits: Float32Array[] }> {
  const logits: Float32Array[] = [];
  const tokens = await generate({ maxNewTokens: NEW_TOKENS, stopToken: null, padToken: 0, pick: (row) => (logits.push(row.slice()), argmax(row)) });
  return { tokens, logits };
}

function attachRandomAdapters(model: TrainableModel, targets: ReadonlyArray<{ name: string; out: number; in: number }>, seed: number): void {
  const rng = new Random(seed);
  for (const target of targets) model.attachAdapter(target.name, 2, 0.8, rng.floats(2 * target.in, -0.4, 0.4), rng.floats(target.out * 2, -0.4, 0.4));
}

function expectSameLogits(got: Float32Array[], want: Float32Array[], label: string): void {
  expect(got.length, label).toBe(want.length);
  got.forEach((row, step) => {
    const largest = Math.max(...want[step].map(Math.abs));
    const worst = Math.max(...row.map((value, i) => Math.abs(value - want[step][i])));
    expect(worst / largest, `${label} step ${step}`).toBeLessThanOrEqual(1e-5);
  });
}

describe('decoding with a key/value cache equals re-running the sequence', () => {
  for (const fixture of FIXTURES) {
    it(`${fixture}: greedy tokens and every step's logits, without and with adapters`, async () => {
      const gpu = await testGpu();
      const opened = await openAnyModel(await nodeModelFiles(fixturePath(fixture)));
      const kind = modelKind(opened);
      const format = storedWeightFormat(opened);
      const rng = new Random(3);
      const V = opened.kind === 'decoder' ? opened.spec.vocabSize : 0;
      const prompt = Uint32Array.from({ length: 7 }, () => Math.floor(rng.next() * V));
      const beside = Uint32Array.from({ length: 3 }, () => Math.floor(rng.next() * V));
      // The cache's model holds 3 rows a pass: the 7-token prompt goes in as 3 + 3 + 1.
      const cached = await kind.build(gpu, opened, { B: 1, S: 0, T: 3 }, format, () => {});
      const rerun = await kind.build(gpu, opened, { B: 2, S: 0, T: prompt.length + NEW_TOKENS }, format, () => {});
      try {
        for (const adapted of [false, true]) {
          if (adapted) for (const built of [cached, rerun]) attachRandomAdapters(built.model, opened.targets, 5);
          const label = `${fixture}${adapted ? ' with adapters' : ''}`;
          const viaCache = await greedy((options) => cached.model.generate([prompt], options));
          const viaRerun = await greedy((options) => generateByRerun(rerun.transformer!, [prompt, beside], options));
          expect(viaCache.tokens[0], label).toEqual(viaRerun.tokens[0]);
          // The re-run picks for both prompts each step; the first prompt's rows are every other one.
          expectSameLogits(viaCache.logits, viaRerun.logits.filter((_, i) => i % 2 === 0), label);
        }
      } finally {
        cached.release();
        rerun.release();
      }
    });
  }
});

describe('T5 decoding with cached keys and values equals re-running encoder and decoder', () => {
  for (const fixture of ['t5', 't5-v1_1']) {
    it(`${fixture}: greedy tokens and every step's logits, without and with adapters`, async () => {
      const gpu = await testGpu();
      const opened = await openAnyModel(await nodeModelFiles(fixturePath(fixture)));
      if (opened.kind !== 't5') throw new Error(`${fixture} is not a T5 fixture`);
      const built = await modelKind(opened).build(gpu, opened, { B: 1, S: 6, T: 4 }, 'f32', () => {});
      const model = built.model as T5Model;
      const source = Uint32Array.from([5, 9, 2, 30, 11, 1]);
      try {
        for (const adapted of [false, true]) {
          if (adapted) attachRandomAdapters(model, opened.targets, 5);
          const label = `${fixture}${adapted ? ' with adapters' : ''}`;
          // No stop token: every step runs, whatever the fixture predicts.
          const viaCache = await greedy((options) => model.generate([source], options));
          const viaRerun = await greedy(async (options) => [await t5GenerateByRerun(model, source, { ...options, stopToken: null })]);
          expect(viaCache.tokens, label).toEqual(viaRerun.tokens);
          expectSameLogits(viaCache.logits, viaRerun.logits, label);
        }
      } finally {
        built.release();
      }
    });
  }
});
