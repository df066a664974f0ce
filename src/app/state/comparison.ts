// Comparison slice: several methods × seeds run one after another in the worker on the same model,
// data and budget. Each run is folded from its events like any run (fold.ts); the next one is sent
// when the worker reports the previous one done, and stopping stops the current run.

import type { StateCreator } from 'zustand';
import { configProblems, type Method } from '../../train/config';
import { METHOD_NAMES } from '../../compare/methods';
import { comparisonPlan, type PlannedRun } from '../../compare/plan';
import { comparisonSeeds } from '../../compare/report';
import type { WorkerResponse } from '../../worker/protocol';
import { onWorkerMessage, postToWorker } from '../worker-client';
import { foldEvent, foldMemorySample, newRun, type RunState } from './fold';
import { recordFromRun } from './comparison-record';
import type { RunRecord } from '../../compare/summary';
import { isBusy } from './run';
import type { Store } from './types';

export type ComparisonStatus = 'running' | 'stopping' | 'done' | 'stopped' | 'error';

export interface Comparison {
  methods: Method[];
  seeds: number[];
  plan: PlannedRun[];
  /** The runs started so far, in plan order. */
  runs: RunState[];
  /** The numbers of each finished run, taken once when it is done. */
  records: RunRecord[];
  status: ComparisonStatus;
  error: string | null;
}

export interface ComparisonSlice {
  /** What the next comparison runs (persisted with the settings). */
  compareMethods: Method[];
  compareSeeds: number;
  /** Train every method at the settings' learning rate instead of each method's own. */
  compareSameLr: boolean;
  comparison: Comparison | null;
  toggleCompareMethod: (method: Method) => void;
  setCompareSeeds: (seeds: number) => void;
  setCompareSameLr: (on: boolean) => void;
  startComparison: () => void;
  stopComparison: () => void;
  clearComparison: () => void;
}

let nextId = 1;
const newRunId = () => `compare-${Date.now().toString(36)}-${nextId++}`;

export const comparisonSlice: StateCreator<Store, [], [], ComparisonSlice> = (set, get) => {
  const change = (update: (c: Comparison) => Comparison) => set((s) => (s.comparison ? { comparison: update(s.comparison) } : s));
  const updateRun = (id: string, update: (run: RunState) => RunState) => change((c) => ({ ...c, runs: c.runs.map((r) => (r.id === id ? update(r) : r)) }));

  /** Sends the plan's next run, or ends the comparison when every run is done. */
  const startNext = () => {
    const c = get().comparison;
    if (!c || c.status !== 'running') return;
    const next = c.plan[c.runs.length];
    if (!next) return change((x) => ({ ...x, status: 'done' }));
    const { modelSource, dataSource } = get();
    const id = newRunId();
    change((x) => ({ ...x, runs: [...x.runs, newRun(id, `${next.method} · seed ${next.seed}`, next.config)] }));
    postToWorker({ type: 'run', runId: id, model: modelSource, data: dataSource, dataOptions: {}, config: next.config, reviewAllocation: false, keep: false });
  };

  onWorkerMessage((message: WorkerResponse) => {
    const c = get().comparison;
    if (!c || (c.status !== 'running' && c.status !== 'stopping')) return;
    const current = c.runs.at(-1);
    if (!current) return;
    // An error before a run could start (no device) names no run: it is the current one's.
    if (message.type === 'error' && !message.runId) {
      updateRun(current.id, (r) => ({ ...r, status: 'error', error: message.message }));
      return change((x) => ({ ...x, status: 'error', error: message.message }));
    }
    if (!('runId' in message) || message.runId !== current.id) return;
    switch (message.type) {
      case 'event':
        return updateRun(current.id, (r) => foldEvent(r, message.event));
      case 'memory':
        return updateRun(current.id, (r) => foldMemorySample(r, message.bytes, message.peak));
      case 'done':
        updateRun(current.id, (r) => ({ ...r, status: 'done', files: message.summary.files }));
        change((x) => {
          const record = recordFromRun(x.runs.at(-1)!);
          return record ? { ...x, records: [...x.records, record] } : x;
        });
        if (c.status === 'stopping') return change((x) => ({ ...x, status: 'stopped' }));
        return startNext();
      case 'stopped':
        updateRun(current.id, (r) => ({ ...r, status: 'stopped' }));
        return change((x) => ({ ...x, status: 'stopped' }));
      case 'error':
        updateRun(current.id, (r) => ({ ...r, status: 'error', error: message.message }));
        return change((x) => ({ ...x, status: 'error', error: `${x.plan[x.runs.length - 1].method}, seed ${x.plan[x.runs.length - 1].seed}: ${message.message}` }));
      default:
        return;
    }
  });

  return {
    compareMethods: ['gora', 'lora'],
    compareSeeds: 1,
    compareSameLr: false,
    comparison: null,
    toggleCompareMethod: (method) =>
      set((s) => {
        const chosen = s.compareMethods.includes(method) ? s.compareMethods.filter((m) => m !== method) : [...s.compareMethods, method];
        // Shown, and run, in the list's order.
        return { compareMethods: knownMethods(chosen) };
      }),
    setCompareSeeds: (compareSeeds) => set({ compareSeeds }),
    setCompareSameLr: (compareSameLr) => set({ compareSameLr }),
    startComparison: () => {
      const s = get();
      const problem = comparisonProblem(s);
      if (problem) return;
      const seeds = comparisonSeeds(s.config.seed, s.compareSeeds);
      const methods = knownMethods(s.compareMethods);
      const plan = comparisonPlan(s.config, methods, seeds, s.compareSameLr ? s.config.lr : null);
      set({ comparison: { methods, seeds, plan, runs: [], records: [], status: 'running', error: null } });
      startNext();
    },
    stopComparison: () => {
      if (get().comparison?.status !== 'running') return;
      change((c) => ({ ...c, status: 'stopping' }));
      postToWorker({ type: 'stop' });
    },
    clearComparison: () => set((s) => (comparisonBusy(s) ? s : { comparison: null })),
  };
};

export function comparisonBusy(s: Pick<Store, 'comparison'>): boolean {
  return s.comparison?.status === 'running' || s.comparison?.status === 'stopping';
}

/** Why a comparison cannot start now, in words; null when it can. */
export function comparisonProblem(s: Store): string | null {
  if (s.modelStatus !== 'ready') return 'the model is not loaded yet';
  if (s.dataStatus === 'error' || s.dataStatus === 'idle') return 'choose a dataset first';
  if (isBusy(s)) return 'a run is in progress';
  const [setting] = configProblems(s.config);
  if (setting) return setting.message;
  if (knownMethods(s.compareMethods).length === 0) return 'choose at least one method';
  if (!Number.isSafeInteger(s.compareSeeds) || s.compareSeeds < 1) return 'the number of seeds must be a whole number ≥ 1';
  return null;
}

/** The chosen methods that exist, in the list's order (a persisted choice may name one that no longer does). */
function knownMethods(chosen: readonly Method[]): Method[] {
  return METHOD_NAMES.filter((m) => chosen.includes(m));
}
