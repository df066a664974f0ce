// Run slice: runs in the worker, folded from their events; the active one can be paused, resumed,
// stopped, and (GoRA) have its ranks re-allocated from the stored importance before training.

import type { StateCreator } from 'zustand';
import { allocateRanks, type Allocation, type AllocationSettings } from '../../gora/allocate';
import type { WorkerResponse } from '../../worker/protocol';
import { onWorkerMessage, postToWorker } from '../worker-client';
import { folderProblem, forgetRun, savedRuns, type SavedRun, type UnreadableRun } from '../saved-runs';
import { storeSpeeds, storedSpeeds, withRunSpeed } from '../run-speed';
import { describeModel } from '../sources';
import { finishedRuns, forgetFinishedRun, keepFinishedRun } from '../finished-runs';
import { foldEvent, foldMemorySample, newRun, type RunState } from './fold';
import { methodLabel } from '../../compare/methods';
import { configProblems } from '../../train/config';
import type { Store } from './types';

export interface RunSlice {
  runs: RunState[];
  activeRunId: string | null;
  /** Stop after the scan so ranks can be tuned before training (GoRA). */
  reviewRanks: boolean;
  /** The allocation settings being tried while a run awaits review. */
  reviewSettings: AllocationSettings | null;
  startRun: () => void;
  pauseRun: () => void;
  resumeRun: () => void;
  stopRun: () => void;
  setReviewRanks: (on: boolean) => void;
  setReviewSettings: (settings: AllocationSettings) => void;
  continueRun: () => void;
  /** Removes every finished run, from the page and from this browser's storage. */
  clearRuns: () => void;
  clearRun: (runId: string) => void;
  /** Unfinished runs kept in this browser (checkpoints), offered for resuming after a reload. */
  savedRuns: SavedRun[];
  /** Kept runs that could not be read (damaged files), each named with the reason; the rest are still offered. */
  savedRunProblems: UnreadableRun[];
  loadSavedRuns: () => Promise<void>;
  /** `folder`: the files of the model folder, picked again, for a run on a folder model. */
  resumeSavedRun: (runId: string, folder?: readonly File[]) => void;
  discardSavedRun: (runId: string) => Promise<void>;
}

let nextId = 1;
/** Unique across reloads: saved runs are kept under their id. */
const newRunId = () => `run-${Date.now().toString(36)}-${nextId++}`;

export const runSlice: StateCreator<Store, [], [], RunSlice> = (set, get) => {
  // Messages of runs that are not this slice's (a comparison's) change nothing.
  const update = (id: string, change: (run: RunState) => RunState) => set((s) => (s.runs.some((r) => r.id === id) ? { runs: s.runs.map((r) => (r.id === id ? change(r) : r)) } : s));
  onWorkerMessage((message: WorkerResponse) => {
    if (!('runId' in message) || !message.runId) return;
    const id = message.runId;
    switch (message.type) {
      case 'event':
        return update(id, (r) => foldEvent(r, message.event));
      case 'memory':
        return update(id, (r) => foldMemorySample(r, message.bytes, message.peak));
      case 'awaiting-allocation':
        return update(id, (r) => {
          set({ reviewSettings: r.allocation?.settings ?? null });
          return { ...r, status: 'awaiting-allocation' };
        });
      case 'paused':
        return update(id, (r) => ({ ...r, status: message.paused ? 'paused' : 'running' }));
      case 'done': {
        update(id, (r) => ({ ...r, status: 'done', files: message.summary.files }));
        // Kept until cleared, so a reload keeps the results; a refused write costs only that.
        const run = get().runs.find((r) => r.id === id);
        // The time next to Run comes from whole runs (a resumed one timed only its last part).
        if (run?.runTime && !run.resumed) storeSpeeds(withRunSpeed(storedSpeeds(), describeModel(get().modelSource), run.config, run.runTime.seconds));
        if (run) void keepFinishedRun(run).catch((error: unknown) => console.warn(`the finished run ${id} could not be kept in this browser:`, error));
        return;
      }
      case 'stopped':
        update(id, (r) => ({ ...r, status: 'stopped' }));
        // Its checkpoint (if one was saved) is offered for resuming at once, as after a reload.
        return void get().loadSavedRuns();
      case 'error':
        update(id, (r) => ({ ...r, status: 'error', error: message.message }));
        // A lost device or a full GPU may pass; a NaN would come back from the same checkpoint.
        return message.kind === 'numerical' ? undefined : void get().loadSavedRuns();
    }
  });

  return {
    runs: [],
    activeRunId: null,
    reviewRanks: false,
    reviewSettings: null,
    startRun: () => {
      const { config, modelSource, dataSource, modelStatus, dataStatus, reviewRanks } = get();
      // The preview may still be refreshing (a setting just changed); the worker prepares the data itself.
      if (modelStatus !== 'ready' || dataStatus === 'error' || dataStatus === 'idle' || isBusy(get()) || configProblems(config).length > 0) return;
      const id = newRunId();
      const label = `${methodLabel(config.method)} r=${config.rank} · ${config.steps} steps`;
      set((s) => ({ runs: [...s.runs, newRun(id, label, config)], activeRunId: id, reviewSettings: null }));
      postToWorker({ type: 'run', runId: id, model: modelSource, data: dataSource, dataOptions: {}, config, reviewAllocation: reviewRanks && config.method === 'gora' });
    },
    pauseRun: () => postToWorker({ type: 'pause' }),
    resumeRun: () => postToWorker({ type: 'resume' }),
    stopRun: () => {
      const { activeRunId } = get();
      if (activeRunId) update(activeRunId, (r) => ({ ...r, stopping: true }));
      postToWorker({ type: 'stop' });
    },
    setReviewRanks: (reviewRanks) => set({ reviewRanks }),
    setReviewSettings: (reviewSettings) => set({ reviewSettings }),
    continueRun: () => {
      const { reviewSettings, activeRunId } = get();
      if (!reviewSettings || !activeRunId) return;
      update(activeRunId, (r) => ({ ...r, status: 'running' }));
      postToWorker({ type: 'allocation', settings: reviewSettings });
    },
    clearRuns: () => {
      const s = get();
      const kept = s.runs.filter((r) => r.id === s.activeRunId && isBusy(s));
      for (const r of s.runs) if (!kept.includes(r)) void forgetFinishedRun(r.id);
      set({ runs: kept });
    },
    clearRun: (runId) => {
      void forgetFinishedRun(runId);
      set((s) => ({ runs: s.runs.filter((r) => r.id !== runId), activeRunId: s.activeRunId === runId ? null : s.activeRunId }));
    },
    savedRuns: [],
    savedRunProblems: [],
    loadSavedRuns: async () => {
      // A storage that cannot be read at all is said too: the page would otherwise just offer nothing.
      const { runs, unreadable } = await savedRuns().catch((error: unknown) => ({ runs: [], unreadable: [{ runId: '', reason: `the browser's storage cannot be read (${error instanceof Error ? error.message : String(error)})` }] }));
      // A run that is still going is not offered; one that stopped or failed in this page is.
      const going = (id: string) => get().runs.some((run) => run.id === id && (run.status === 'running' || run.status === 'paused' || run.status === 'awaiting-allocation'));
      set({ savedRuns: runs.filter((r) => !going(r.runId)), savedRunProblems: unreadable });
      // Finished runs of earlier visits, shown as they were (the newest one, unless a run is on the page).
      const finished = await finishedRuns().catch(() => []);
      set((s) => {
        const added = finished.filter((f) => !s.runs.some((r) => r.id === f.id));
        return added.length ? { runs: [...added, ...s.runs], activeRunId: s.activeRunId ?? added.at(-1)!.id } : s;
      });
    },
    resumeSavedRun: (runId, folder = []) => {
      const saved = get().savedRuns.find((r) => r.runId === runId);
      if (!saved || isBusy(get()) || folderProblem(saved, folder)) return;
      // A folder model's files are not kept: the user has picked the folder again.
      const request = saved.request.model.kind === 'folder' ? { ...saved.request, model: { ...saved.request.model, files: [...folder] } } : saved.request;
      const label = `${methodLabel(request.config.method)} r=${request.config.rank} · ${request.config.steps} steps (resumed)`;
      // The same id: a run that failed in this page is replaced by its continuation.
      set((s) => ({ runs: [...s.runs.filter((r) => r.id !== runId), newRun(runId, label, request.config, true)], activeRunId: runId, savedRuns: s.savedRuns.filter((r) => r.runId !== runId) }));
      postToWorker({ ...request, type: 'run', resume: true });
    },
    discardSavedRun: async (runId) => {
      await forgetRun(runId);
      set((s) => ({ savedRuns: s.savedRuns.filter((r) => r.runId !== runId), savedRunProblems: s.savedRunProblems.filter((r) => r.runId !== runId) }));
    },
  };
};

export function activeRun(s: Store): RunState | null {
  return s.runs.find((r) => r.id === s.activeRunId) ?? null;
}

/** A run or a comparison holds the worker. */
export function isBusy(s: Store): boolean {
  const run = activeRun(s);
  if (s.comparison?.status === 'running' || s.comparison?.status === 'stopping') return true;
  return !!run && (run.status === 'running' || run.status === 'paused' || run.status === 'awaiting-allocation');
}

/** The allocation shown: re-computed instantly from the stored importance while ranks are reviewed. */
export function shownAllocation(run: RunState | null, review: AllocationSettings | null): Allocation | null {
  if (!run?.allocation) return null;
  if (run.status !== 'awaiting-allocation' || !review) return run.allocation;
  try {
    return allocateRanks(run.allocation.layers, review);
  } catch {
    return run.allocation;
  }
}
