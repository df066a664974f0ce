import { describe, expect, it } from 'vitest';
import { foldEvent, foldEventAt, foldMemorySample, newRun } from '../src/app/state/fold';
import { memoryText } from '../src/app/components/format';
import { defaultConfig } from '../src/train/config';
import type { JobEvent } from '../src/train/events';

describe('the run state is a fold of job events', () => {
  it('tracks phases, scan, allocation, steps, evaluations and generations', () => {
    const events: JobEvent[] = [
      { type: 'phase', phase: 'load', status: 'start' },
      { type: 'progress', phase: 'load', done: 10, total: 20, detail: 'model.safetensors' },
      { type: 'phase', phase: 'load', status: 'end', seconds: 1.5 },
      { type: 'scan-batch', batch: 1, of: 2, loss: 3 },
      { type: 'scan-batch', batch: 2, of: 2, loss: 2.5 },
      { type: 'phase', phase: 'allocate', status: 'start' },
      { type: 'allocation', allocation: { layers: [], settings: { rankRef: 8, rankMin: 4, rankMax: 32, features: 'id' }, budget: 1, targetParameters: 1, trainableParameters: 1 } },
      { type: 'step', step: 1, of: 2, loss: 2, lr: 1e-3, tokensPerSecond: 100, elapsed: 1, remaining: 1 },
      { type: 'evaluation', evaluation: { step: 1, loss: 1.9, tokens: 10, accuracy: 0.75, examples: 4 } },
      { type: 'generations', samples: [{ prompt: 'a', base: 'b', adapted: 'c' }] },
    ];
    const run = events.reduce(foldEvent, newRun('r1', 'GoRA', defaultConfig('gora')));
    expect(run.phases.load).toMatchObject({ status: 'done', seconds: 1.5, done: 10, total: 20 });
    expect(run.phases.scan).toMatchObject({ done: 2, total: 2 });
    expect(run.scanLosses).toEqual([3, 2.5]);
    // The allocation arrives inside its phase; only the phase's end marks it done, with its time.
    expect(run.allocation?.settings.rankRef).toBe(8);
    expect(run.phases.allocate.status).toBe('running');
    expect(foldEvent(run, { type: 'phase', phase: 'allocate', status: 'end', seconds: 0.25 }).phases.allocate).toMatchObject({ status: 'done', seconds: 0.25 });
    expect(run.steps).toEqual([{ step: 1, loss: 2, lr: 1e-3 }]);
    expect(run.phases.train).toMatchObject({ done: 1, total: 2 });
    expect(run.evaluations[0].accuracy).toBe(0.75);
    expect(run.generations[0].adapted).toBe('c');
  });

  it('keeps the latest estimate of the whole run, and its measured time at the end', () => {
    let run = newRun('e1', 'GoRA', defaultConfig('gora'));
    run = foldEvent(run, { type: 'estimate', step: 1, elapsed: 30, train: 900, evaluate: 100 });
    run = foldEvent(run, { type: 'estimate', step: 5, elapsed: 36, train: 600, evaluate: 80 });
    expect(run.estimate).toEqual({ step: 5, elapsed: 36, train: 600, evaluate: 80 });
    run = foldEvent(run, { type: 'run-time', seconds: 700, evaluation: 90 });
    expect(run.runTime).toEqual({ seconds: 700, evaluation: 90 });
  });

  it('times the evaluation phase from its progress in passes', () => {
    let run = foldEventAt(newRun('e2', 'GoRA', defaultConfig('gora')), { type: 'phase', phase: 'evaluate', status: 'start' }, 0);
    run = foldEventAt(run, { type: 'progress', phase: 'evaluate', done: 10, total: 84, detail: 'validation' }, 5000);
    expect(run.phases.evaluate).toMatchObject({ done: 10, total: 84, detail: 'validation', rate: 2 });
  });

  it('marks scan and allocation as skipped for plain LoRA', () => {
    const run = newRun('r2', 'LoRA', defaultConfig('lora'));
    expect(run.phases.scan.status).toBe('skipped');
    expect(run.phases.allocate.status).toBe('skipped');
  });
});

describe('phases, checkpoints and memory as the job reports them', () => {
  it('shows allocate and export with their measured times, and nothing marks them done without their end event', () => {
    let run = newRun('r4', 'GoRA', defaultConfig('gora'));
    for (const phase of ['load', 'scan', 'allocate', 'initialise', 'train', 'evaluate', 'export'] as const) {
      run = foldEvent(run, { type: 'phase', phase, status: 'start' });
      expect(run.phases[phase].status).toBe('running');
      run = foldEvent(run, { type: 'phase', phase, status: 'end', seconds: 0.5 });
    }
    expect(Object.values(run.phases).map((p) => [p.status, p.seconds])).toEqual(Array(7).fill(['done', 0.5]));
  });

  it('says the run cannot be resumed when a checkpoint could not be written, and clears it when one is', () => {
    let run = newRun('r5', 'GoRA', defaultConfig('gora'));
    run = foldEvent(run, { type: 'checkpoint', step: 2, where: 'this browser', error: null });
    expect(run.checkpoint).toEqual({ step: 2, where: 'this browser' });
    expect(run.checkpointProblem).toBeNull();
    run = foldEvent(run, { type: 'checkpoint', step: 4, where: null, error: 'QuotaExceededError: storage is full' });
    expect(run.checkpointProblem).toBe('The checkpoint of step 4 could not be saved (QuotaExceededError: storage is full). Training goes on, but after a reload this run can be resumed only from step 2.');
    const never = foldEvent(newRun('r6', 'GoRA', defaultConfig('gora')), { type: 'checkpoint', step: 0, where: null, error: 'the browser refused to store the run: denied' });
    expect(never.checkpointProblem).toMatch(/this run cannot be resumed after a reload\.$/);
    run = foldEvent(run, { type: 'checkpoint', step: 6, where: 'this browser', error: null });
    expect(run.checkpointProblem).toBeNull();
  });

  it("keeps the run's measured peak after the run, not the nearly empty device the worker samples then", () => {
    let run = newRun('r7', 'GoRA', defaultConfig('gora'));
    run = foldMemorySample(run, 5_000_000, 9_000_000);
    expect(memoryText(run.memory)).toBe('4.8 MiB (peak 8.6 MiB)');
    run = foldEvent(run, { type: 'memory', peakBytes: 8_000_000, estimateBytes: 8_500_000 });
    run = foldMemorySample(run, 16, 9_000_000);
    expect(run.memory).toMatchObject({ peak: 8_000_000, final: true });
    expect(memoryText(run.memory)).toBe('peak 7.6 MiB (estimated 8.1 MiB)');
  });
});

describe('the load phase shows bytes and a rate', () => {
  it('measures bytes per second from the phase start, restarting when a new stream counts from zero', () => {
    let run = newRun('r3', 'GoRA', defaultConfig('gora'));
    // The app downloads first (before the job's load phase starts), then uploads to the GPU.
    run = foldEventAt(run, { type: 'progress', phase: 'load', done: 1e6, total: 4e6, detail: 'downloading a' }, 1000);
    expect(run.phases.load.rate).toBeNull();
    run = foldEventAt(run, { type: 'progress', phase: 'load', done: 3e6, total: 4e6, detail: 'downloading a' }, 2000);
    expect(run.phases.load.rate).toBe(2e6);
    run = foldEventAt(run, { type: 'phase', phase: 'load', status: 'start' }, 3000);
    run = foldEventAt(run, { type: 'progress', phase: 'load', done: 5e6, total: 8e6, detail: 'w' }, 3500);
    expect(run.phases.load).toMatchObject({ done: 5e6, total: 8e6, rate: 1e7 });
    run = foldEventAt(run, { type: 'progress', phase: 'load', done: 8e6, total: 8e6, detail: 'w' }, 4000);
    expect(run.phases.load.rate).toBe(8e6);
  });
});
