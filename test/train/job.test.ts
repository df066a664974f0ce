import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDataset } from '../../src/data/prepare';
import { Transformer } from '../../src/engine/transformer';
import { uploadWeights } from '../../src/engine/load';
import { readPeftAdapter, ADAPTER_CONFIG, ADAPTER_WEIGHTS } from '../../src/export/peft';
import { exportRunFiles, runFiles } from '../../src/export/run-files';
import { defaultConfig, type JobConfig } from '../../src/train/config';
import { firstTokensDiffer, meanTokenLoss } from '../../src/train/evaluate';
import { finalEvaluationPasses } from '../../src/train/run-time';
import { checkpointInterval } from '../../src/train/checkpoint';
import { JobStopped, runJob } from '../../src/train/job';
import type { JobEvent } from '../../src/train/events';
import { testGpu } from '../gpu';
import { loadFixture } from '../engine/fixtures';

const DATA = readFileSync(join(import.meta.dirname, '..', 'datasets', 'sentiment.jsonl'), 'utf8');

async function run(method: 'gora' | 'lora', overrides: Partial<JobConfig> = {}) {
  const gpu = await testGpu();
  const { model } = await loadFixture('smollm2');
  const config = { ...defaultConfig(method), steps: 4, batchSize: 2, seqLen: 48, rank: 8, scanBatches: 2, lr: 1e-3, evalEvery: 2, generateSamples: 1, maxNewTokens: 2, valFraction: 0.2, ...overrides };
  const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);
  const events: JobEvent[] = [];
  const result = await runJob({ gpu, model, data, config, emit: (e) => events.push(e), keepScanGradients: method === 'gora' });
  return { gpu, model, data, config, result, events };
}

/** PEFT's rule for rank_pattern keys (peft.utils.other.get_pattern_key): the first key k with re.match(rf"(.*\.)?({k})$", module). */
function peftPatternKey(keys: string[], module: string): string | undefined {
  return keys.find((key) => new RegExp(`^(.*\\.)?(${key})$`).test(module));
}

describe('the GoRA job end to end on a fixture', async () => {
  const gora = await run('gora');

  it('runs every phase and emits their events in order', () => {
    const phases = gora.events.filter((e) => e.type === 'phase' && e.status === 'start').map((e) => (e as { phase: string }).phase);
    expect(phases).toEqual(['load', 'scan', 'allocate', 'initialise', 'train', 'evaluate']);
    // Every phase ends with its own measured time; the allocation is reported inside its phase.
    const ends = gora.events.filter((e) => e.type === 'phase' && e.status === 'end') as Array<{ phase: string; seconds: number }>;
    expect(ends.map((e) => e.phase)).toEqual(phases);
    expect(ends.every((e) => e.seconds >= 0)).toBe(true);
    expect(gora.result.seconds.allocate).toBeGreaterThanOrEqual(0);
    const at = (test: (e: JobEvent) => boolean) => gora.events.findIndex(test);
    const allocated = at((e) => e.type === 'allocation');
    expect(allocated).toBeGreaterThan(at((e) => e.type === 'phase' && e.phase === 'allocate' && e.status === 'start'));
    expect(allocated).toBeLessThan(at((e) => e.type === 'phase' && e.phase === 'initialise' && e.status === 'start'));
    expect(gora.events.filter((e) => e.type === 'scan-batch')).toHaveLength(2);
    expect(gora.events.filter((e) => e.type === 'step')).toHaveLength(4);
    expect(gora.result.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
  });

  it('ends with the measured peak of its own buffers and the estimate, as the report has them', () => {
    const memory = gora.events.filter((e) => e.type === 'memory');
    expect(memory).toEqual([{ type: 'memory', peakBytes: gora.result.memory.peakBytes, estimateBytes: gora.result.memory.estimate!.peak }]);
    expect(gora.result.memory.peakBytes).toBeGreaterThan(1e5);
  });

  it('counts the evaluation phase in forward passes as run-time.ts counts them ahead, and ends it full', () => {
    const progress = gora.events.filter((e): e is Extract<JobEvent, { type: 'progress' }> => e.type === 'progress' && e.phase === 'evaluate');
    const labels = gora.data.labels!;
    // The fixture's tokenizer splits the labels so that their first tokens are the same: each label is scored as its own row.
    expect(firstTokensDiffer(labels)).toBe(false);
    const shape = { valRows: gora.data.val.length, testRows: gora.data.test.length, batchSize: 2, labelRowsPerExample: labels.tokens.length, prompts: 1 };
    const passes = finalEvaluationPasses(gora.config, shape);
    const total = passes.validation + passes.test + passes.generation;
    expect(progress.map((p) => p.total)).toEqual(progress.map(() => total));
    expect(progress.filter((p) => p.detail === 'validation').map((p) => p.done)).toEqual(Array.from({ length: passes.validation }, (_, i) => i + 1));
    expect(progress.at(-1)!.done).toBe(total);
  });

  it('estimates the whole run after its first step and says at the end how much of it was evaluation', () => {
    const estimates = gora.events.filter((e): e is Extract<JobEvent, { type: 'estimate' }> => e.type === 'estimate');
    // Four steps, validation every 2: after step 1 and after the validation at step 2 (the fifth never comes).
    expect(estimates.map((e) => e.step)).toEqual([1, 2]);
    expect(estimates[0].train).toBeGreaterThan(0);
    expect(estimates[0].evaluate).toBeGreaterThan(0);
    expect(gora.events.findIndex((e) => e.type === 'estimate')).toBeGreaterThan(gora.events.findIndex((e) => e.type === 'step'));
    const time = gora.events.find((e): e is Extract<JobEvent, { type: 'run-time' }> => e.type === 'run-time')!;
    expect(time.evaluation).toBeGreaterThan(0);
    expect(time.evaluation).toBeLessThan(time.seconds);
  });

  it('times the export as its own phase', () => {
    const events: JobEvent[] = [];
    const files = exportRunFiles((e) => events.push(e), gora.result, gora.model, gora.data, 'smollm2');
    expect(files.has(ADAPTER_WEIGHTS)).toBe(true);
    expect(events).toMatchObject([
      { type: 'phase', phase: 'export', status: 'start' },
      { type: 'phase', phase: 'export', status: 'end' },
    ]);
    expect((events[1] as { seconds: number }).seconds).toBeGreaterThanOrEqual(0);
  });

  it('starts below the base model on the scan batches (docs/gora.md §5)', () => {
    const { baseLoss, initLoss } = gora.result.initCheck!;
    expect(initLoss).toBeLessThan(baseLoss);
  });

  it('reports the allocation it trained with, and budget against trainable parameters', () => {
    const files = runFiles(gora.result, gora.model, gora.data, 'smollm2', { saveInit: true, saveScan: true });
    const report = JSON.parse(new TextDecoder().decode(files.get('gora_report.json')));
    const allocation = gora.result.allocation!;
    expect(report.layers.map((l: { rank: number }) => l.rank)).toEqual(allocation.layers.map((l) => l.rank));
    expect(report.layers.map((l: { importance: number }) => l.importance)).toEqual(allocation.layers.map((l) => l.importance));
    expect(report.budget.trainable_parameters).toBe(allocation.trainableParameters);
    expect(report.budget.target_parameters).toBe(allocation.targetParameters);
    expect(report.training).toHaveLength(4);
    expect(report.scan.batches).toBe(2);
    expect(files.has('init_adapter.safetensors') && files.has('scan_gradients.safetensors')).toBe(true);
    const manifest = JSON.parse(new TextDecoder().decode(files.get('data_manifest.json')));
    expect([manifest.scan.length, manifest.train.length, manifest.val.length]).toEqual([2, 4, gora.data.valBatchCount]);
    expect(manifest.train[0].input_ids).toHaveLength(2);
    expect(manifest.train[0].labels[0]).toHaveLength(48);
  });

  it("writes rank_pattern keys that PEFT's matching rule resolves to exactly their own modules", () => {
    const files = runFiles(gora.result, gora.model, gora.data, 'smollm2');
    const config = JSON.parse(new TextDecoder().decode(files.get(ADAPTER_CONFIG)));
    const keys = Object.keys(config.rank_pattern);
    expect(keys).toHaveLength(gora.model.targets.length);
    for (const t of gora.model.targets) {
      expect(peftPatternKey(keys, t.module)).toBe(t.module);
      expect(config.rank_pattern[t.module]).toBe(gora.result.trained.get(t.name)!.rank);
    }
    expect(config.use_rslora).toBe(true);
    expect(config.r).toBe(8);
  });

  it('exports an adapter that, loaded back, reproduces the trained model', async () => {
    const files = runFiles(gora.result, gora.model, gora.data, 'smollm2');
    const adapters = await readPeftAdapter(files.get(ADAPTER_WEIGHTS)!, new TextDecoder().decode(files.get(ADAPTER_CONFIG)), gora.model.targets);
    const weights = await uploadWeights(gora.gpu, gora.model);
    const model = new Transformer(gora.gpu, gora.model.spec, weights, { B: gora.config.batchSize, T: gora.config.seqLen });
    for (const [name, a] of adapters) {
      expect(a.scale).toBeCloseTo(gora.result.trained.get(name)!.scale, 6);
      model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
    }
    const { loss } = await meanTokenLoss(model, gora.data.val, gora.data.layout);
    model.destroy();
    weights.forEach((b) => b.destroy());
    expect(Math.abs(loss - gora.result.final.loss)).toBeLessThan(1e-5 * gora.result.final.loss);
  });
});

describe('the LoRA baseline job', () => {
  it('trains uniform-rank adapters from B = 0 with s = α/r', async () => {
    const lora = await run('lora');
    expect(lora.result.scan).toBeNull();
    for (const a of lora.result.initial.values()) {
      expect(a.rank).toBe(8);
      expect(a.scale).toBe(16 / 8);
      expect(a.B.every((x) => x === 0)).toBe(true);
    }
    expect(lora.result.steps.at(-1)!.loss).toBeLessThan(lora.result.steps[0].loss);
    const files = runFiles(lora.result, lora.model, lora.data, 'smollm2');
    const config = JSON.parse(new TextDecoder().decode(files.get(ADAPTER_CONFIG)));
    expect(config.use_rslora).toBe(false);
    expect(Object.values(config.rank_pattern).every((r) => r === 8)).toBe(true);
  });

  it('evaluates loss and accuracy on the same --eval-batches rows (0: every validation row)', async () => {
    const bounded = await run('lora', { steps: 1, evalEvery: 0, evalBatches: 1, generateSamples: 0 });
    expect(bounded.result.final.accuracy).not.toBeNull();
    expect(bounded.result.final.examples).toBeGreaterThan(0);
    expect(bounded.result.final.examples).toBeLessThanOrEqual(bounded.config.batchSize);
    const all = await run('lora', { steps: 1, evalEvery: 0, evalBatches: 0, generateSamples: 0 });
    expect(all.result.final.examples).toBeGreaterThan(bounded.config.batchSize);
  });
});


describe('micro-batch gradient accumulation', () => {
  it('takes the same step with 2 micro-batches of 2 rows as with 1 batch of 4 rows', async () => {
    const settings = { steps: 2, evalEvery: 0, generateSamples: 0, warmupFraction: 0 };
    const whole = await run('lora', { ...settings, batchSize: 4, gradAccum: 1 });
    const split = await run('lora', { ...settings, batchSize: 2, gradAccum: 2 });
    expect(split.result.steps[0].loss).toBeCloseTo(whole.result.steps[0].loss, 5);
    expect(split.result.steps[1].loss).toBeCloseTo(whole.result.steps[1].loss, 4);
    for (const [name, a] of whole.result.trained) {
      const b = split.result.trained.get(name)!;
      let diff = 0;
      a.B.forEach((x, i) => (diff = Math.max(diff, Math.abs(x - b.B[i]))));
      expect(diff, name).toBeLessThan(1e-5);
    }
  });
});

describe('job control', () => {
  it('re-allocates from the stored importance when the review changes the settings, and trains with them', async () => {
    const { model } = await loadFixture('smollm2');
    const config = { ...defaultConfig('gora'), steps: 1, batchSize: 2, seqLen: 48, scanBatches: 2, evalEvery: 0, generateSamples: 0 };
    const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);
    const allocations: number[][] = [];
    const result = await runJob({
      gpu: await testGpu(),
      model,
      data,
      config,
      emit: (e) => e.type === 'allocation' && allocations.push(e.allocation.layers.map((l) => l.rank)),
      reviewAllocation: async (a) => ({ ...a.settings, rankRef: 4, rankMin: 2, rankMax: 6 }),
    });
    expect(allocations).toHaveLength(2);
    expect(allocations[1].every((r) => r >= 2 && r <= 6)).toBe(true);
    expect([...result.trained.values()].map((a) => a.rank)).toEqual(allocations[1]);
    expect(result.config.rank).toBe(4);
  });

  it('goes on when a checkpoint cannot be written, and says the run cannot be resumed from that step', async () => {
    const { model } = await loadFixture('smollm2');
    const config = { ...defaultConfig('lora'), steps: 3, batchSize: 2, seqLen: 48, evalEvery: 0, generateSamples: 0, checkpointEvery: 1 };
    const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);
    const events: JobEvent[] = [];
    let saves = 0;
    // Step 1 saves, step 2 finds the disk full, step 3 saves again.
    const saveCheckpoint = async () => {
      if (++saves === 2) throw new Error('ENOSPC: no space left on device');
      return 'the folder';
    };
    const result = await runJob({ gpu: await testGpu(), model, data, config, emit: (e) => events.push(e), saveCheckpoint });
    expect(result.steps).toHaveLength(3);
    expect(events.filter((e) => e.type === 'checkpoint')).toEqual([
      { type: 'checkpoint', step: 1, where: 'the folder', error: null },
      { type: 'checkpoint', step: 2, where: null, error: 'ENOSPC: no space left on device' },
      { type: 'checkpoint', step: 3, where: 'the folder', error: null },
    ]);
    const logs = events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    expect(logs).toContain('checkpoint: step 2 could not be saved (ENOSPC: no space left on device); training goes on, but the run can be resumed only from step 1');
  });

  it('checkpoints a run shorter than the interval every quarter of its steps', async () => {
    const { model } = await loadFixture('smollm2');
    const config = { ...defaultConfig('lora'), steps: 6, batchSize: 2, seqLen: 48, evalEvery: 0, generateSamples: 0, checkpointEvery: 25 };
    const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);
    const saved: number[] = [];
    await runJob({ gpu: await testGpu(), model, data, config, saveCheckpoint: async (files) => void saved.push(JSON.parse(new TextDecoder().decode(files.get('checkpoint.json'))).step) });
    expect(saved).toEqual([2, 4, 6]);
    expect([checkpointInterval({ checkpointEvery: 25, steps: 400 }), checkpointInterval({ checkpointEvery: 25, steps: 25 }), checkpointInterval({ checkpointEvery: 0, steps: 12 }), checkpointInterval({ checkpointEvery: 5, steps: 1 })]).toEqual([25, 7, 0, 1]);
  });

  it('stops at the next step when told to, with nothing exported', async () => {
    const { model } = await loadFixture('smollm2');
    const config = { ...defaultConfig('lora'), steps: 50, batchSize: 2, seqLen: 48, evalEvery: 0, generateSamples: 0 };
    const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);
    let steps = 0;
    const run = runJob({
      gpu: await testGpu(),
      model,
      data,
      config,
      emit: (e) => e.type === 'step' && steps++,
      control: {
        checkpoint: async () => {
          if (steps >= 2) throw new JobStopped();
        },
      },
    });
    await expect(run).rejects.toBeInstanceOf(JobStopped);
    expect(steps).toBe(2);
  });
});
