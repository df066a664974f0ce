// Checkpoints and resume: the files round-trip exactly, a torn pair is refused, and a run stopped at
// step K and resumed to N takes the same steps as one that never stopped (GoRA, LoRA, LoRA-GA, PiSSA, full), through
// the job and through the CLI.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finetuneCommand } from '../../src/cli/finetune';
import { prepareDataset } from '../../src/data/prepare';
import { ADAPTER_WEIGHTS } from '../../src/export/peft';
import { memorySource } from '../../src/model/bytes';
import { SafetensorsFile } from '../../src/model/safetensors';
import { CHECKPOINT_STATE, CHECKPOINT_TENSORS, changedSettings, checkpointFiles, dataIdentity, readCheckpoint, type Checkpoint } from '../../src/train/checkpoint';
import { defaultConfig, type JobConfig, type Method } from '../../src/train/config';
import { JobStopped, runJob, type JobResult } from '../../src/train/job';
import { testGpu } from '../gpu';
import { fixturePath, loadFixture } from '../engine/fixtures';

const DATA_FILE = join(import.meta.dirname, '..', 'datasets', 'sentiment.jsonl');
const DATA = readFileSync(DATA_FILE, 'utf8');
const SETTINGS = { steps: 4, batchSize: 2, seqLen: 32, rank: 8, scanBatches: 2, lr: 2e-3, evalEvery: 3, generateSamples: 0, valFraction: 0.2, checkpointEvery: 0 };

async function setup(method: Method, overrides: Partial<JobConfig> = {}) {
  const { model } = await loadFixture('smollm2');
  const config: JobConfig = { ...defaultConfig(method), ...SETTINGS, ...overrides };
  const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);
  return { model, config, data };
}

/** Largest |a − b| / max(|b|, 1e-3 · max|b|) over the arrays. */
function relativeDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const scale = 1e-3 * b.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  let worst = 0;
  a.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - b[i]) / Math.max(Math.abs(b[i]), scale, 1e-30))));
  return worst;
}

/** The resumed result against the uninterrupted one: the same losses from step K on, the same final state. */
function expectSameRun(resumed: JobResult, straight: JobResult, from: number): void {
  expect(resumed.steps.map((s) => s.step)).toEqual(straight.steps.map((s) => s.step));
  for (const s of straight.steps.slice(from)) {
    const r = resumed.steps[s.step];
    expect(Math.abs(r.loss - s.loss), `loss of step ${s.step + 1}`).toBeLessThanOrEqual(1e-5 * Math.abs(s.loss));
    expect(r.lr).toBe(s.lr);
  }
  for (const [name, a] of straight.trained) {
    const b = resumed.trained.get(name)!;
    expect(b.rank).toBe(a.rank);
    expect(relativeDiff(b.A, a.A), `${name} A`).toBeLessThan(1e-5);
    expect(relativeDiff(b.B, a.B), `${name} B`).toBeLessThan(1e-5);
  }
  for (const [name, w] of straight.weights ?? []) expect(relativeDiff(resumed.weights!.get(name)!, w), name).toBeLessThan(1e-5);
  expect(resumed.evaluations.map((e) => e.step)).toEqual(straight.evaluations.map((e) => e.step));
  expect(Math.abs(resumed.final.loss - straight.final.loss)).toBeLessThanOrEqual(1e-5 * straight.final.loss);
  // The manifest lists every batch, the ones before the resume included.
  expect(resumed.batches.train.map((b) => [...b.tokens])).toEqual(straight.batches.train.map((b) => [...b.tokens]));
}

describe('checkpoint files', () => {
  const checkpoint = (): Checkpoint => ({
    step: 2,
    config: { ...defaultConfig('lora'), steps: 5 },
    adapters: new Map([['layers.0.attn.q', { rank: 2, scale: 8, A: Float32Array.from([1, 2, 3, 4, 5, 6]), B: Float32Array.from([0.5, -0.5, 1e-7, 3e38]) }]]),
    initial: new Map([['layers.0.attn.q', { rank: 2, scale: 8, A: Float32Array.from([6, 5, 4, 3, 2, 1]), B: new Float32Array(4) }]]),
    weights: null,
    moments: { 'layers.0.attn.q.lora_A': { m: new Float32Array(6).fill(0.1), v: new Float32Array(6).fill(0.2) }, 'layers.0.attn.q.lora_B': { m: new Float32Array(4), v: new Float32Array(4).fill(1e-9) } },
    scan: null,
    allocation: null,
    initCheck: null,
    steps: [
      { step: 0, loss: 3.25, lr: 1e-3 },
      { step: 1, loss: 3.125, lr: 9e-4 },
    ],
    evaluations: [],
    data: { file: 'd.jsonl', trainRows: 10, valRows: 2, batchesPerEpoch: 5, fingerprint: '0badf00d' },
    origin: { model: '/m', data: '/d.jsonl', dataFlags: {} },
  });

  it('round-trips every tensor and field exactly, and says where the next batch comes from', async () => {
    const files = checkpointFiles(checkpoint());
    expect([...files.keys()].sort()).toEqual([CHECKPOINT_STATE, CHECKPOINT_TENSORS]);
    expect(await readCheckpoint(files)).toEqual(checkpoint());
    const state = JSON.parse(new TextDecoder().decode(files.get(CHECKPOINT_STATE)));
    expect(state.next_batch).toMatchObject({ epoch: 0, index: 2 });
    const tensors = await SafetensorsFile.open(memorySource(CHECKPOINT_TENSORS, files.get(CHECKPOINT_TENSORS)!));
    expect(tensors.info('adapter.layers.0.attn.q.A').shape).toEqual([2, 3]);
    expect(tensors.info('adapter.layers.0.attn.q.B').shape).toEqual([2, 2]);
  });

  it('refuses tensors from another save and a missing file', async () => {
    const later = checkpointFiles({ ...checkpoint(), step: 3, steps: [...checkpoint().steps, { step: 2, loss: 3, lr: 8e-4 }] });
    const torn = new Map([[CHECKPOINT_STATE, checkpointFiles(checkpoint()).get(CHECKPOINT_STATE)!], [CHECKPOINT_TENSORS, later.get(CHECKPOINT_TENSORS)!]]);
    await expect(readCheckpoint(torn)).rejects.toThrow(/does not belong to checkpoint\.json.*not written completely/);
    await expect(readCheckpoint(new Map([[CHECKPOINT_STATE, later.get(CHECKPOINT_STATE)!]]))).rejects.toThrow(/checkpoint\.safetensors: is missing/);
  });

  it('lets evaluation, generation and the checkpoint interval change on resume, and nothing that trains', () => {
    const saved = defaultConfig('gora');
    expect(changedSettings(saved, { ...saved, evalEvery: 7, evalBatches: 1, generateSamples: 0, maxNewTokens: 1, checkpointEvery: 3 })).toEqual([]);
    expect(changedSettings(saved, { ...saved, lr: 1e-3, steps: 200, seed: 1 }).sort()).toEqual(['lr', 'seed', 'steps']);
  });
});

describe('resuming a run', () => {
  // LoRA-GA and PiSSA resume on W − s·B₀A₀, rebuilt from the checkpoint's initial adapters.
  for (const method of ['gora', 'lora', 'full', 'lora-ga', 'pissa'] as const) {
    it(`${method}: stopped after step 2 and resumed, takes the same steps as a run that never stopped`, async () => {
      const gpu = await testGpu();
      const { model, config, data } = await setup(method);
      const straight = await runJob({ gpu, model, data, config });

      let saved: Map<string, Uint8Array> | null = null;
      let steps = 0;
      const stopped = runJob({
        gpu,
        model,
        data,
        config,
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
      expect(checkpoint.step).toBe(2);
      expect(checkpoint.data).toEqual(dataIdentity(data));
      expect(checkpoint.steps).toEqual(straight.steps.slice(0, 2));

      const phases: string[] = [];
      const resumed = await runJob({ gpu, model, data, config, resume: checkpoint, emit: (e) => e.type === 'phase' && e.status === 'start' && phases.push(e.phase) });
      expect(phases).not.toContain('scan');
      expect(resumed.allocation).toEqual(straight.allocation);
      expect(resumed.initCheck).toEqual(straight.initCheck);
      for (const [name, a] of straight.initial) expect(resumed.initial.get(name)!.B).toEqual(a.B);
      expectSameRun(resumed, straight, 2);
    });
  }

  it('refuses a config that changes the training, and other data', async () => {
    const gpu = await testGpu();
    const { model, config, data } = await setup('lora', { steps: 1, evalEvery: 0 });
    let saved: Map<string, Uint8Array> | null = null;
    await runJob({ gpu, model, data, config: { ...config, checkpointEvery: 1 }, saveCheckpoint: async (files) => void (saved = files) });
    const checkpoint = await readCheckpoint(saved!);
    await expect(runJob({ gpu, model, data, config: { ...config, lr: 1 }, resume: checkpoint })).rejects.toThrow(/other training settings: Learning rate \(checkpoint 0\.002, now 1\)/);
    const other = prepareDataset(DATA.replaceAll('Review:', 'Film:'), 'sentiment.jsonl', model.tokenizer!, config);
    await expect(runJob({ gpu, model, data: other, config, resume: checkpoint })).rejects.toThrow(/the data is not what the checkpoint trained on/);
  });
});

describe('gora finetune --resume', () => {
  afterEach(() => vi.restoreAllMocks());
  const flags = ['--model', fixturePath('smollm2'), '--data', DATA_FILE, '--method', 'gora', '--steps', '3', '--batch-size', '2', '--seq-len', '32', '--scan-batches', '2', '--eval-every', '0', '--generate', '0', '--val-fraction', '0.2', '--checkpoint-every', '0'];
  const adapter = async (dir: string) => {
    const file = await SafetensorsFile.open(memorySource(ADAPTER_WEIGHTS, readFileSync(join(dir, ADAPTER_WEIGHTS))));
    return new Map(await Promise.all(file.names().map(async (n) => [n, await file.readFloats(n)] as const)));
  };

  it('saves a checkpoint on Ctrl-C, continues it to the same adapter, and removes it when done', async () => {
    const straightDir = mkdtempSync(join(tmpdir(), 'gora-resume-'));
    const dir = mkdtempSync(join(tmpdir(), 'gora-resume-'));
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await finetuneCommand([...flags, '--out', straightDir]);

    // The first step's log line stands in for the user pressing Ctrl-C during step 2.
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
      if (/^train: step 1\//.test(String(line))) process.emit('SIGINT');
    });
    await expect(finetuneCommand([...flags, '--out', dir])).rejects.toThrow(`stopped after step 1 of 3; the checkpoint is in ${dir}: continue with finetune --resume ${dir}`);
    expect(existsSync(join(dir, CHECKPOINT_STATE)) && existsSync(join(dir, CHECKPOINT_TENSORS))).toBe(true);
    expect(existsSync(join(dir, ADAPTER_WEIGHTS))).toBe(false);
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(finetuneCommand([...flags, '--out', dir])).rejects.toThrow(/holds the checkpoint of an unfinished run: continue it with --resume/);
    await expect(finetuneCommand(['--resume', dir, '--lr', '0.5'])).rejects.toThrow(/--lr 0.5 would change the training that --resume continues \(the run used 0.0002\)/);
    await expect(finetuneCommand(['--resume', dir, '--packing'])).rejects.toThrow(/--packing true would change the training/);

    // The model, data and settings come from the checkpoint.
    await finetuneCommand(['--resume', dir, '--eval-every', '2']);
    expect(existsSync(join(dir, CHECKPOINT_STATE)) || existsSync(join(dir, CHECKPOINT_TENSORS))).toBe(false);
    const [want, got] = [await adapter(straightDir), await adapter(dir)];
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [name, w] of want) expect(relativeDiff(got.get(name)!, w), name).toBeLessThan(1e-5);
    const report = JSON.parse(readFileSync(join(dir, 'gora_report.json'), 'utf8'));
    expect(report.training).toHaveLength(3);
    expect(report.settings.evalEvery).toBe(2);
  });
});
