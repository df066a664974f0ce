// The job on stored weight formats: 16-bit storage of a BF16 checkpoint runs the same GoRA job as f32
// storage; LoRA-GA and PiSSA rewrite a 16-bit W; quantised weights train adapters; methods that
// rewrite or train W refuse what they cannot use, before anything is loaded.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareDataset } from '../../src/data/prepare';
import { runFiles } from '../../src/export/run-files';
import { defaultConfig, resolveWeightFormat, weightFormatProblem, type JobConfig, type Method } from '../../src/train/config';
import { runJob } from '../../src/train/job';
import { testGpu } from '../gpu';
import { loadFixture } from '../engine/fixtures';

const DATA = readFileSync(join(import.meta.dirname, '..', 'datasets', 'sentiment.jsonl'), 'utf8');

async function run(method: Method, overrides: Partial<JobConfig> = {}) {
  const gpu = await testGpu();
  const { model } = await loadFixture('smollm2-bf16');
  const config = { ...defaultConfig(method), steps: 3, batchSize: 2, seqLen: 32, scanBatches: 2, lr: 1e-3, evalEvery: 0, evalBatches: 1, generateSamples: 0, valFraction: 0.2, ...overrides };
  const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);
  const result = await runJob({ gpu, model, data, config });
  return { model, data, result };
}

describe('weight formats in the job', () => {
  it('defaults to the checkpoint dtype (f32 for full fine-tuning) and refuses what a method cannot use', () => {
    expect(resolveWeightFormat(defaultConfig('gora'), 'BF16')).toBe('bf16');
    expect(resolveWeightFormat(defaultConfig('gora'), 'F16')).toBe('f16');
    expect(resolveWeightFormat(defaultConfig('gora'), 'F32')).toBe('f32');
    expect(resolveWeightFormat(defaultConfig('full'), 'BF16')).toBe('f32');
    expect(resolveWeightFormat(defaultConfig('pissa'), 'BF16')).toBe('f32');
    expect(resolveWeightFormat({ ...defaultConfig('lora-ga'), weights: 'bf16' }, 'F32')).toBe('bf16');
    expect(weightFormatProblem('lora-ga', 'q4')).toMatch(/LoRA-GA rewrites the frozen weights.*choose bf16, f16 or f32 for Frozen weights/);
    expect(weightFormatProblem('pissa', 'int8')).toMatch(/PiSSA rewrites/);
    expect(weightFormatProblem('full', 'bf16')).toMatch(/choose f32 for Frozen weights/);
    expect(weightFormatProblem('gora', 'q4')).toBeNull();
    expect(weightFormatProblem('pissa', 'bf16')).toBeNull();
  });

  it('GoRA on bf16 storage runs the same job as on f32 storage, and the report names the format', async () => {
    const bf16 = await run('gora');
    const f32 = await run('gora', { weights: 'f32' });
    expect(bf16.result.weightsFormat).toBe('bf16');
    const losses = (r: typeof bf16) => r.result.steps.map((s) => s.loss);
    for (const [i, loss] of losses(bf16).entries()) expect(Math.abs(loss - losses(f32)[i])).toBeLessThan(1e-4);
    const importances = (r: typeof bf16) => r.result.allocation!.layers.map((l) => l.importance);
    for (const [i, v] of importances(bf16).entries()) expect(Math.abs(v - importances(f32)[i])).toBeLessThanOrEqual(1e-5 * Math.abs(importances(f32)[i]));
    const report = JSON.parse(new TextDecoder().decode(runFiles(bf16.result, bf16.model, bf16.data, 'smollm2-bf16').get('gora_report.json')));
    expect(report.weights_dtype).toBe('bf16');
  });

  for (const method of ['lora-ga', 'pissa'] as const) {
    it(`${method} rewrites a bf16 W on request: step 0 keeps the base model's loss up to bf16 rounding`, async () => {
      const { result } = await run(method, { steps: 1, rank: 2, weights: 'bf16' });
      expect(result.weightsFormat).toBe('bf16');
      expect(Number.isFinite(result.steps[0].loss)).toBe(true);
      const f32 = await run(method, { steps: 1, rank: 2 });
      expect(f32.result.weightsFormat).toBe('f32');
      // The first step's loss is taken at step 0, where W − s·B₀A₀ + s·B₀A₀ = W.
      expect(Math.abs(result.steps[0].loss - f32.result.steps[0].loss)).toBeLessThan(1e-2);
    });
  }

  for (const format of ['int8', 'q4'] as const) {
    it(`GoRA trains adapters on ${format} weights`, async () => {
      const { result } = await run('gora', { weights: format });
      expect(result.weightsFormat).toBe(format);
      expect(result.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
      expect(result.initCheck!.initLoss).toBeLessThan(result.initCheck!.baseLoss);
    });
  }

  it('refuses LoRA-GA on q4 and full fine-tuning on bf16 before loading', async () => {
    await expect(run('lora-ga', { weights: 'q4' })).rejects.toThrow(/LoRA-GA rewrites the frozen weights/);
    await expect(run('full', { weights: 'bf16' })).rejects.toThrow(/Full fine-tuning trains every weight/);
  });
});
