import { describe, expect, it } from 'vitest';
import { foldEvent, foldEventAt, newRun } from '../src/app/state/fold';
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
      { type: 'allocation', allocation: { layers: [], settings: { rankRef: 8, rankMin: 4, rankMax: 32, features: 'id' }, budget: 1, targetParameters: 1, trainableParameters: 1 } },
      { type: 'step', step: 1, of: 2, loss: 2, lr: 1e-3, tokensPerSecond: 100, elapsed: 1, remaining: 1 },
      { type: 'evaluation', evaluation: { step: 1, loss: 1.9, tokens: 10, accuracy: 0.75, examples: 4 } },
      { type: 'generations', samples: [{ prompt: 'a', base: 'b', adapted: 'c' }] },
    ];
    const run = events.reduce(foldEvent, newRun('r1', 'GoRA', defaultConfig('gora')));
    expect(run.phases.load).toMatchObject({ status: 'done', seconds: 1.5, done: 10, total: 20 });
    expect(run.phases.scan).toMatchObject({ done: 2, total: 2 });
    expect(run.scanLosses).toEqual([3, 2.5]);
    expect(run.phases.allocate.status).toBe('done');
    expect(run.steps).toEqual([{ step: 1, loss: 2, lr: 1e-3 }]);
    expect(run.phases.train).toMatchObject({ done: 1, total: 2 });
    expect(run.evaluations[0].accuracy).toBe(0.75);
    expect(run.generations[0].adapted).toBe('c');
  });

  it('marks scan and allocation as skipped for plain LoRA', () => {
    const run = newRun('r2', 'LoRA', defaultConfig('lora'));
    expect(run.phases.scan.status).toBe('skipped');
    expect(run.phases.allocate.status).toBe('skipped');
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
