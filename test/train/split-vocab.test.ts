// Fine-tuning a model whose embedding and logits are larger than the GPU's storage-binding limit: with
// the limit lowered below the fixture's embedding, the job loads it as row chunks
// (src/engine/row-chunks.ts), the head runs in passes over the tokens (src/engine/lm-head.ts), and a
// GoRA run and a full run go to the end with the losses of the same runs unsplit.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDataset } from '../../src/data/prepare';
import { defaultConfig, type JobConfig } from '../../src/train/config';
import { JobStopped, runJob, type JobInputs, type JobResult } from '../../src/train/job';
import { readCheckpoint } from '../../src/train/checkpoint';
import { compareArrays } from '../../src/engine/compare';
import { expectClose, testGpu } from '../gpu';
import { loadFixture } from '../engine/fixtures';

const DATA = readFileSync(join(import.meta.dirname, '..', 'datasets', 'sentiment.jsonl'), 'utf8');

// SmolLM2's fixture: embedding 320 × 48 f32 = 61,440 bytes, the largest other tensor 24,576.
// 45,000 bytes hold 234.4 rows: chunks of 234 and 86 rows. The logits of B·T = 96 rows are 122,880
// bytes: passes of 35, 35 and 26 token rows.
const LIMIT = 45_000;
const SETTINGS = { batchSize: 2, seqLen: 48, evalEvery: 2, generateSamples: 1, maxNewTokens: 2, valFraction: 0.2 };

/** Runs the job under `bindingLimit` (null: the device's own); `labels` lists the labels of the buffers it made. */
async function run(
  method: 'gora' | 'full',
  overrides: Partial<JobConfig>,
  bindingLimit: number | null,
  inputs: Partial<JobInputs> = {},
): Promise<{ result: JobResult; labels: string[] }> {
  const gpu = await testGpu();
  const { model } = await loadFixture('smollm2');
  const config = { ...defaultConfig(method), ...SETTINGS, ...overrides };
  const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);
  const labels: string[] = [];
  const createBuffer = gpu.createBuffer;
  gpu.createBuffer = (label, ...rest) => {
    labels.push(label);
    return createBuffer.call(gpu, label, ...rest);
  };
  gpu.bindingLimit = bindingLimit;
  try {
    return { result: await runJob({ gpu, model, data, config, ...inputs }), labels };
  } finally {
    gpu.bindingLimit = null;
    gpu.createBuffer = createBuffer;
  }
}

/** Under LIMIT: the embedding in two chunks and the head's scratch for passes; without it neither. */
function expectSplit(split: string[], whole: string[]): void {
  const embedding = (labels: string[]) => labels.filter((label) => /^embed(\[\d+\])?$/.test(label));
  expect(embedding(split)).toEqual(['embed[0]', 'embed[1]']);
  expect(embedding(whole)).toEqual(['embed']);
  expect([split.includes('head pass logits'), whole.includes('head pass logits')]).toEqual([true, false]);
}

/** Loss tolerance: the split head sums dx over chunks in a different order, a few f32 roundings. */
const close = (name: string, got: number[], want: number[]) => compareArrays(name, got, want, 1e-4 * Math.max(...want.map(Math.abs)));

describe('a job on a model whose embedding exceeds the binding limit', () => {
  it('GoRA: scan, allocation, training and evaluation match the unsplit run', async () => {
    const overrides = { steps: 4, scanBatches: 2, lr: 1e-3 };
    const split = await run('gora', overrides, LIMIT);
    const whole = await run('gora', overrides, null);
    expectSplit(split.labels, whole.labels);
    expect(split.result.steps).toHaveLength(4);
    expect(split.result.allocation!.layers.map((l) => l.rank)).toEqual(whole.result.allocation!.layers.map((l) => l.rank));
    expectClose([
      close('scan losses', split.result.scan!.losses, whole.result.scan!.losses),
      close('scan importances', split.result.scan!.importances, whole.result.scan!.importances),
      close('step losses', split.result.steps.map((s) => s.loss), whole.result.steps.map((s) => s.loss)),
      close('evaluation losses', split.result.evaluations.map((e) => e.loss), whole.result.evaluations.map((e) => e.loss)),
      close('final loss', [split.result.final.loss], [whole.result.final.loss]),
    ]);
  });

  it('full training: every step, and the trained weights read back whole, match the unsplit run', async () => {
    const overrides = { steps: 3, lr: 2e-3, evalEvery: 0, generateSamples: 0, warmupFraction: 0 };
    const split = await run('full', overrides, LIMIT);
    const whole = await run('full', overrides, null);
    expectSplit(split.labels, whole.labels);
    const weights = split.result.weights!;
    expect([...weights.keys()].sort()).toEqual([...whole.result.weights!.keys()].sort());
    const results = [close('step losses', split.result.steps.map((s) => s.loss), whole.result.steps.map((s) => s.loss))];
    for (const [name, w] of whole.result.weights!) results.push(compareArrays(`trained ${name}`, weights.get(name)!, w, 1e-5));
    expectClose(results);
    expect(split.result.steps.at(-1)!.loss).toBeLessThan(split.result.steps[0].loss);
  });

  it('full training stopped after step 2 and resumed takes the steps of the run that never stopped', async () => {
    const overrides = { steps: 4, lr: 2e-3, evalEvery: 0, generateSamples: 0, warmupFraction: 0, checkpointEvery: 0 };
    const straight = await run('full', overrides, LIMIT);
    let saved: Map<string, Uint8Array> | null = null;
    let steps = 0;
    const stopped = run('full', overrides, LIMIT, {
      emit: (e) => e.type === 'step' && steps++,
      control: {
        checkpoint: async () => {
          if (steps >= 2) throw new JobStopped();
        },
      },
      saveCheckpoint: async (files) => void (saved = files),
    });
    await expect(stopped).rejects.toBeInstanceOf(JobStopped);
    const checkpoint = await readCheckpoint(saved!);
    // The checkpoint holds the embedding whole, as an unsplit run would save it.
    expect([...checkpoint.weights!.keys()]).toContain('embed');
    const resumed = await run('full', overrides, LIMIT, { resume: checkpoint });
    expect(resumed.result.steps.map((s) => s.step)).toEqual(straight.result.steps.map((s) => s.step));
    const results = [close('resumed step losses', resumed.result.steps.slice(2).map((s) => s.loss), straight.result.steps.slice(2).map((s) => s.loss))];
    for (const [name, w] of straight.result.weights!) results.push(compareArrays(`resumed ${name}`, resumed.result.weights!.get(name)!, w, 1e-5));
    expectClose(results);
  });
});
