import { beforeEach, describe, expect, it, vi } from 'vitest';
import { create } from 'zustand';
import type { WorkerRequest, WorkerResponse } from '../../src/worker/protocol';
import type { JobEvent } from '../../src/train/events';
import { defaultConfig } from '../../src/train/config';

// The worker, replaced by a recorder: what the page sends, and a way to answer as the worker would.
const sent: WorkerRequest[] = [];
const listeners = new Set<(message: WorkerResponse) => void>();
vi.mock('../../src/app/worker-client', () => ({
  postToWorker: (message: WorkerRequest) => sent.push(message),
  onWorkerMessage: (listener: (message: WorkerResponse) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
}));
const answer = (message: WorkerResponse) => listeners.forEach((l) => l(message));

const { comparisonSlice } = await import('../../src/app/state/comparison');
const { runSlice, isBusy } = await import('../../src/app/state/run');
const { settingsSlice } = await import('../../src/app/state/settings');
type Store = import('../../src/app/state/types').Store;

function makeStore() {
  listeners.clear();
  sent.length = 0;
  return create<Store>()(
    (...a) =>
      ({
        ...settingsSlice(...a),
        ...runSlice(...a),
        ...comparisonSlice(...a),
        modelStatus: 'ready',
        dataStatus: 'ready',
        gpuStatus: 'ready',
        modelSource: { kind: 'embedded', name: 'gora-tiny' },
        dataSource: { kind: 'sample', name: 'sentiment' },
      }) as unknown as Store,
  );
}

const runRequests = () => sent.filter((m): m is Extract<WorkerRequest, { type: 'run' }> => m.type === 'run');
const event = (runId: string, e: JobEvent): WorkerResponse => ({ type: 'event', runId, event: e });
const reportFiles = (trainable: number) => ({ 'gora_report.json': new TextEncoder().encode(JSON.stringify({ budget: { trainable_parameters: trainable } })) });

/** What the worker says for one run that trains two steps and evaluates once. */
function finishRun(runId: string, loss: number, trainable: number): void {
  answer(event(runId, { type: 'phase', phase: 'train', status: 'start' }));
  answer(event(runId, { type: 'step', step: 1, of: 2, loss: loss + 1, lr: 1e-3, tokensPerSecond: 1, elapsed: 1, remaining: 1 }));
  answer(event(runId, { type: 'step', step: 2, of: 2, loss, lr: 1e-3, tokensPerSecond: 1, elapsed: 2, remaining: 0 }));
  answer(event(runId, { type: 'phase', phase: 'train', status: 'end', seconds: 2 }));
  answer({ type: 'memory', runId, bytes: 100, peak: 4096 });
  answer(event(runId, { type: 'evaluation', evaluation: { step: 2, loss, tokens: 10, accuracy: 0.5, examples: 4 } }));
  answer({ type: 'done', runId, summary: { files: reportFiles(trainable) } });
}

describe('the comparison slice', () => {
  let store: ReturnType<typeof makeStore>;
  beforeEach(() => {
    store = makeStore();
    store.getState().setConfig({ seed: 3, steps: 2, rank: 4 });
  });

  it('runs every method × seed one after another, each at its own learning rate, keeping nothing', () => {
    store.getState().setCompareSeeds(2);
    store.getState().startComparison();
    expect(runRequests()).toHaveLength(1);
    expect(isBusy(store.getState())).toBe(true);
    for (let i = 0; i < 4; i++) {
      const request = runRequests()[i];
      expect(request.keep).toBe(false);
      expect(request.reviewAllocation).toBe(false);
      finishRun(request.runId, 0.5 + i, 1000 + i);
      // The next run is sent only when this one is done.
      expect(runRequests()).toHaveLength(Math.min(i + 2, 4));
    }
    const plan = runRequests().map((r) => [r.config.method, r.config.seed, r.config.rank, r.config.steps]);
    expect(plan).toEqual([
      ['gora', 3, 4, 2],
      ['lora', 3, 4, 2],
      ['gora', 4, 4, 2],
      ['lora', 4, 4, 2],
    ]);
    for (const r of runRequests()) {
      expect(r.config.lr).toBe(defaultConfig(r.config.method).lr);
      expect(r.config.loraPlusRatio).toBe(defaultConfig(r.config.method).loraPlusRatio);
    }
    const c = store.getState().comparison!;
    expect(c.status).toBe('done');
    expect(c.runs.every((r) => r.status === 'done')).toBe(true);
    expect(c.runs[1].memory?.peak).toBe(4096);
    // Each finished run's numbers, read once: loss, accuracy, trainable parameters from its report.
    expect(c.records.map((r) => [r.method, r.seed, r.valLoss, r.accuracy, r.trainableParameters, r.trainSeconds, r.peakBytes])).toEqual([
      ['gora', 3, 0.5, 0.5, 1000, 2, 4096],
      ['lora', 3, 1.5, 0.5, 1001, 2, 4096],
      ['gora', 4, 2.5, 0.5, 1002, 2, 4096],
      ['lora', 4, 3.5, 0.5, 1003, 2, 4096],
    ]);
    expect(isBusy(store.getState())).toBe(false);
    // The single-run list is untouched by a comparison's runs.
    expect(store.getState().runs).toEqual([]);
  });

  it('stops the current run and starts no other', () => {
    store.getState().startComparison();
    const first = runRequests()[0].runId;
    store.getState().stopComparison();
    expect(sent.at(-1)).toEqual({ type: 'stop' });
    expect(store.getState().comparison!.status).toBe('stopping');
    answer({ type: 'stopped', runId: first });
    expect(store.getState().comparison!.status).toBe('stopped');
    expect(runRequests()).toHaveLength(1);
    expect(isBusy(store.getState())).toBe(false);
  });

  it('ends with the error of the run that failed, naming it', () => {
    store.getState().startComparison();
    finishRun(runRequests()[0].runId, 0.5, 10);
    answer({ type: 'error', runId: runRequests()[1].runId, kind: 'out-of-memory', message: 'GPU memory ran out at step 1' });
    const c = store.getState().comparison!;
    expect(c.status).toBe('error');
    expect(c.error).toBe('lora, seed 3: GPU memory ran out at step 1');
    expect(runRequests()).toHaveLength(2);
  });

  it('refuses to start without a method, or while a run holds the worker', () => {
    store.getState().toggleCompareMethod('gora');
    store.getState().toggleCompareMethod('lora');
    expect(store.getState().compareMethods).toEqual([]);
    store.getState().startComparison();
    expect(sent).toEqual([]);
    store.getState().toggleCompareMethod('lora');
    store.getState().toggleCompareMethod('gora');
    // Kept in the methods' list order, whatever the order of the clicks.
    expect(store.getState().compareMethods).toEqual(['gora', 'lora']);
    store.getState().startRun();
    expect(sent).toHaveLength(1);
    store.getState().startComparison();
    expect(sent).toHaveLength(1);
    expect(store.getState().comparison).toBeNull();
  });
});
