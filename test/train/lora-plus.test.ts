// LoRA+ (lr_B = λ·lr_A, docs/gora.md §7) is one switch for every adapter method: after AdamW's
// first step, whose update is ±lr per value (m/√v = g/|g|), B moves λ times as far as A.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDataset } from '../../src/data/prepare';
import { defaultConfig, type Method } from '../../src/train/config';
import { runJob } from '../../src/train/job';
import { testGpu } from '../gpu';
import { loadFixture } from '../engine/fixtures';

const DATA = readFileSync(join(import.meta.dirname, '..', 'datasets', 'sentiment.jsonl'), 'utf8');

/** The largest |trained − initial| over every adapter's A and over every B. */
async function firstStep(method: Method, loraPlusRatio: number) {
  const { model } = await loadFixture('smollm2');
  const config = { ...defaultConfig(method), steps: 1, batchSize: 2, seqLen: 48, rank: 8, scanBatches: 2, lr: 1e-3, warmupFraction: 0, evalEvery: 0, generateSamples: 0, valFraction: 0.2, checkpointEvery: 0, loraPlusRatio };
  const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);
  const result = await runJob({ gpu: await testGpu(), model, data, config });
  let moveA = 0;
  let moveB = 0;
  for (const [name, a] of result.trained) {
    const a0 = result.initial.get(name)!;
    a.A.forEach((x, i) => (moveA = Math.max(moveA, Math.abs(x - a0.A[i]))));
    a.B.forEach((x, i) => (moveB = Math.max(moveB, Math.abs(x - a0.B[i]))));
  }
  return { moveA, moveB, lr: config.lr };
}

describe('--lora-plus-ratio for every adapter method', () => {
  for (const method of ['gora', 'rslora', 'lora-ga', 'pissa'] as const) {
    // rsLoRA starts from B = 0, so ∂L/∂A = s·Bᵀ·(…) is zero at the first step and A stays.
    it(`${method}: B's first step is λ·lr and A's ${method === 'rslora' ? '0' : 'lr'}, for λ = 1 and 16`, async () => {
      for (const ratio of [1, 16]) {
        const { moveA, moveB, lr } = await firstStep(method, ratio);
        console.log(`${method}, λ = ${ratio}: max |ΔA| = ${moveA.toExponential(3)}, max |ΔB| = ${moveB.toExponential(3)}`);
        expect(moveA / lr).toBeCloseTo(method === 'rslora' ? 0 : 1, 2);
        expect(moveB / (ratio * lr)).toBeCloseTo(1, 2);
      }
    });
  }
});
