// A run's UI state is a fold of the job's events (pure, so it is tested without a browser).

import type { Allocation } from '../../gora/allocate';
import { needsScan, type JobConfig } from '../../train/config';
import type { Evaluation, Generation, JobEvent, Phase } from '../../train/events';
import { advanceRate, openRate, type RateWindow } from '../../train/rate';

export const PHASES: Phase[] = ['load', 'scan', 'allocate', 'initialise', 'train', 'evaluate', 'export'];

export interface PhaseState {
  status: 'pending' | 'running' | 'done' | 'skipped';
  seconds: number | null;
  done: number;
  total: number;
  detail: string;
  /** Counts per second of the phase's progress (bytes per second while loading); null before two reports. */
  rate: number | null;
  /** Where the rate is measured from. */
  rateWindow: RateWindow | null;
}

export type RunStatus = 'running' | 'awaiting-allocation' | 'paused' | 'done' | 'stopped' | 'error';

export interface RunState {
  id: string;
  label: string;
  config: JobConfig;
  status: RunStatus;
  phases: Record<Phase, PhaseState>;
  scanLosses: number[];
  allocation: Allocation | null;
  init: { baseLoss: number; initLoss: number } | null;
  steps: Array<{ step: number; loss: number; lr: number }>;
  evaluations: Evaluation[];
  /** Scores on the test split the data names, after training; null when it names none. */
  test: Evaluation | null;
  generations: Generation[];
  speed: { tokensPerSecond: number; elapsed: number; remaining: number } | null;
  /** The whole run's time, estimated after the first training steps (seconds since it started and still ahead). */
  estimate: { step: number; elapsed: number; train: number; evaluate: number } | null;
  /** Once the run has ended: its seconds, and those that went to evaluation. */
  runTime: { seconds: number; evaluation: number } | null;
  /**
   * GPU memory: while running, the worker's samples of what is held now and the peak so far; once the
   * job has ended, its own measured peak and the estimate (`final`), which later samples never replace
   * (after a run the device holds next to nothing, and that is not what the run used).
   */
  memory: { bytes: number; peak: number; estimate?: number; final?: boolean } | null;
  /** The last checkpoint saved (the step a reload can resume from), if any. */
  checkpoint: { step: number; where: string | null } | null;
  /** Why this run cannot be resumed from its latest step (a checkpoint could not be written); null while it can. */
  checkpointProblem: string | null;
  error: string | null;
  files: Record<string, Uint8Array> | null;
  /** Stop was clicked: the worker stops at the next step, and the page says so until it has. */
  stopping: boolean;
  /** Continued from a checkpoint: its time counts only the steps after it. */
  resumed: boolean;
}

export function newRun(id: string, label: string, config: JobConfig, resumed = false): RunState {
  const phases = Object.fromEntries(PHASES.map((p) => [p, { status: 'pending', seconds: null, done: 0, total: 0, detail: '', rate: null, rateWindow: null }])) as Record<Phase, PhaseState>;
  // Only GoRA allocates ranks; LoRA-GA scans too (its initialisation is the scan gradient's SVD).
  if (!needsScan(config.method)) phases.scan.status = 'skipped';
  if (config.method !== 'gora') phases.allocate.status = 'skipped';
  return { id, label, config, status: 'running', phases, scanLosses: [], allocation: null, init: null, steps: [], evaluations: [], test: null, generations: [], speed: null, estimate: null, runTime: null, memory: null, checkpoint: null, checkpointProblem: null, error: null, files: null, stopping: false, resumed };
}

function withPhase(run: RunState, phase: Phase, change: Partial<PhaseState>): RunState {
  return { ...run, phases: { ...run.phases, [phase]: { ...run.phases[phase], ...change } } };
}

export function foldEvent(run: RunState, event: JobEvent): RunState {
  return foldEventAt(run, event, Date.now());
}

/** foldEvent with the clock given (milliseconds), which only progress rates read. */
export function foldEventAt(run: RunState, event: JobEvent, now: number): RunState {
  switch (event.type) {
    case 'phase':
      return withPhase(run, event.phase, event.status === 'start' ? { status: 'running', rateWindow: openRate(now) } : { status: 'done', seconds: event.seconds ?? null });
    case 'progress': {
      const { window, rate } = advanceRate(run.phases[event.phase].rateWindow, event.done, now);
      return withPhase(run, event.phase, { done: event.done, total: event.total, detail: event.detail ?? '', rate, rateWindow: window });
    }
    case 'scan-batch':
      return withPhase({ ...run, scanLosses: [...run.scanLosses, event.loss] }, 'scan', { done: event.batch, total: event.of });
    case 'allocation':
      // The allocate phase's own start and end events mark its status and time.
      return { ...run, allocation: event.allocation };
    case 'init':
      return { ...run, init: { baseLoss: event.baseLoss, initLoss: event.initLoss } };
    case 'step':
      return withPhase(
        { ...run, steps: [...run.steps, { step: event.step, loss: event.loss, lr: event.lr }], speed: { tokensPerSecond: event.tokensPerSecond, elapsed: event.elapsed, remaining: event.remaining } },
        'train',
        { done: event.step, total: event.of },
      );
    case 'estimate':
      return { ...run, estimate: { step: event.step, elapsed: event.elapsed, train: event.train, evaluate: event.evaluate } };
    case 'run-time':
      return { ...run, runTime: { seconds: event.seconds, evaluation: event.evaluation } };
    case 'evaluation':
      return { ...run, evaluations: [...run.evaluations, event.evaluation] };
    case 'test':
      return { ...run, test: event.evaluation };
    case 'generations':
      return { ...run, generations: event.samples };
    case 'checkpoint':
      if (event.error === null) return { ...run, checkpoint: { step: event.step, where: event.where }, checkpointProblem: null };
      return {
        ...run,
        checkpointProblem: `The checkpoint of step ${event.step} could not be saved (${event.error}). Training goes on, but ${run.checkpoint ? `after a reload this run can be resumed only from step ${run.checkpoint.step}` : 'this run cannot be resumed after a reload'}.`,
      };
    case 'memory':
      return { ...run, memory: { bytes: event.peakBytes, peak: event.peakBytes, estimate: event.estimateBytes ?? undefined, final: true } };
    case 'log':
      return run;
  }
}

/** A sample of the worker's GPU memory counters; ignored once the job has reported its own peak. */
export function foldMemorySample(run: RunState, bytes: number, peak: number): RunState {
  return run.memory?.final ? run : { ...run, memory: { bytes, peak } };
}

/** The run's final evaluation, if it has one. */
export function finalEvaluation(run: RunState): Evaluation | null {
  return run.status === 'done' ? (run.evaluations.at(-1) ?? null) : null;
}
