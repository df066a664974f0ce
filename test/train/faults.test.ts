// Runs that end early: a lost GPU device and non-finite numbers stop the job with a message naming
// the step and the last checkpoint, which is left intact and continues the run; a pause saves first.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDataset } from '../../src/data/prepare';
import { GpuError } from '../../src/gpu/errors';
import { acquireNodeGpu } from '../../src/gpu/node';
import { readCheckpoint } from '../../src/train/checkpoint';
import { defaultConfig, type JobConfig } from '../../src/train/config';
import type { JobEvent } from '../../src/train/events';
import { JobStopped, NumericalFault, runJob } from '../../src/train/job';
import { testGpu } from '../gpu';
import { loadFixture } from '../engine/fixtures';

const DATA = readFileSync(join(import.meta.dirname, '..', 'datasets', 'sentiment.jsonl'), 'utf8');

async function setup(overrides: Partial<JobConfig>) {
  const { model } = await loadFixture('smollm2');
  const config: JobConfig = { ...defaultConfig('lora'), steps: 4, batchSize: 2, seqLen: 32, lr: 2e-3, evalEvery: 0, generateSamples: 0, valFraction: 0.2, checkpointEvery: 0, ...overrides };
  const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);
  return { model, config, data };
}

/** A sink that keeps every save, as the CLI's run directory would keep the last. */
function memorySink() {
  const saves: Array<Map<string, Uint8Array>> = [];
  const save = async (files: Map<string, Uint8Array>) => {
    saves.push(files);
    return 'memory';
  };
  return { saves, save };
}

describe('a GPU device lost mid-run', () => {
  it('stops the job with a device-lost error naming the step and the last checkpoint, from which a fresh device repeats the rest', async () => {
    const { model, config, data } = await setup({ steps: 6, checkpointEvery: 2 });
    const straight = await runJob({ gpu: await testGpu(), model, data, config });

    const doomed = await acquireNodeGpu();
    const sink = memorySink();
    const error = await runJob({
      gpu: doomed,
      model,
      data,
      config,
      emit: (e) => e.type === 'step' && e.step === 3 && doomed.destroy(),
      saveCheckpoint: sink.save,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuError);
    expect((error as GpuError).kind).toBe('device-lost');
    const message = (error as Error).message;
    console.log(message);
    expect(message).toMatch(/^The GPU device was lost \(destroyed: device was destroyed\); "train step 4\.1" cannot run\. The run stopped in step 4 of 6; the last checkpoint is from step 2, in memory\.$/);
    expect(message).not.toContain('\n');

    expect(sink.saves).toHaveLength(1);
    const checkpoint = await readCheckpoint(sink.saves[0]);
    expect(checkpoint.step).toBe(2);
    const resumed = await runJob({ gpu: await testGpu(), model, data, config, resume: checkpoint });
    for (const s of straight.steps.slice(2)) expect(Math.abs(resumed.steps[s.step].loss - s.loss), `step ${s.step + 1}`).toBeLessThanOrEqual(1e-5 * s.loss);
    for (const [name, a] of straight.trained) {
      const b = resumed.trained.get(name)!;
      let worst = 0;
      a.B.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - b.B[i]))));
      expect(worst, name).toBeLessThanOrEqual(1e-5 * Math.max(...a.B.map(Math.abs)));
    }
  });
});

describe('non-finite numbers', () => {
  it('a NaN or infinite loss stops the run at its step, keeping the checkpoint before it intact', async () => {
    // AdamW moves every value by about lr per step, so lr = 1e30 leaves finite weights after step 1
    // whose products overflow in step 2.
    const { model, config, data } = await setup({ lr: 1e30, warmupFraction: 0, checkpointEvery: 1 });
    const sink = memorySink();
    const error = await runJob({ gpu: await testGpu(), model, data, config, saveCheckpoint: sink.save }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NumericalFault);
    const fault = error as NumericalFault;
    console.log(fault.message);
    expect(fault.step).toBe(2);
    expect(fault.what).toBe('loss');
    expect(fault.message).toMatch(/^the loss became (NaN|Infinity) at step 2 of 4: training stopped; the last checkpoint is from step 1, in memory, before the fault\. Lower the learning rate \(--lr, \d\.\d\de\+29 at that step\) and start the run again\.$/);
    expect(fault.lastCheckpoint).toEqual({ step: 1, where: 'memory' });

    expect(sink.saves).toHaveLength(1);
    const checkpoint = await readCheckpoint(sink.saves[0]);
    expect(checkpoint.step).toBe(1);
    expect(checkpoint.steps.map((s) => Number.isFinite(s.loss))).toEqual([true]);
    for (const a of checkpoint.adapters.values()) expect([...a.A, ...a.B].every(Number.isFinite)).toBe(true);
    for (const { m, v } of Object.values(checkpoint.moments)) expect([...m, ...v].every(Number.isFinite)).toBe(true);
  });

  it('a non-finite gradient under a finite loss stops the run at its step too', async () => {
    const gpu = await testGpu();
    const { model, config, data } = await setup({ steps: 3 });
    // A stop as training starts saves the initial state (B = 0).
    const sink = memorySink();
    let training = false;
    const stop = {
      checkpoint: async () => {
        if (training) throw new JobStopped();
      },
    };
    const started = (e: JobEvent) => e.type === 'phase' && e.phase === 'train' && (training = true);
    await expect(runJob({ gpu, model, data, config, emit: started, control: stop, saveCheckpoint: sink.save })).rejects.toBeInstanceOf(JobStopped);
    const checkpoint = await readCheckpoint(sink.saves[0]);
    expect(checkpoint.step).toBe(0);
    // With B = 0 the adapters add nothing to the forward pass whatever A is, so the loss stays
    // finite, while ∂L/∂B = s·dyᵀ(x Aᵀ) with A ~ 1e30 overflows in the gradient norm.
    for (const a of checkpoint.adapters.values()) a.A = a.A.map((x) => x * 1e30);
    const error = await runJob({ gpu, model, data, config, resume: checkpoint }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NumericalFault);
    const fault = error as NumericalFault;
    console.log(fault.message);
    expect([fault.step, fault.what]).toEqual([1, 'gradient']);
    expect(fault.message).toMatch(/^a gradient became NaN or infinite at step 1 of 3 \(the loss was \d+\.\d{4}; the optimizer skipped the step\): training stopped; the last checkpoint is from step 0, before the fault\. Lower the learning rate/);
  });
});

describe('pausing', () => {
  it('saves a checkpoint before waiting, and the run goes on', async () => {
    const { model, config, data } = await setup({ steps: 3 });
    const sink = memorySink();
    let steps = 0;
    let pausedAt: number | null = null;
    const result = await runJob({
      gpu: await testGpu(),
      model,
      data,
      config,
      emit: (e) => e.type === 'step' && steps++,
      saveCheckpoint: sink.save,
      control: {
        interrupted: () => steps === 2 && pausedAt === null,
        checkpoint: async () => {
          if (steps === 2 && pausedAt === null) pausedAt = sink.saves.length;
        },
      },
    });
    expect(result.steps).toHaveLength(3);
    expect(pausedAt).toBe(1);
    expect((await readCheckpoint(sink.saves[0])).step).toBe(2);
  });
});
