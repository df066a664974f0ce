// What ends a run early, in words a user can act on: a GPU that went away or ran out of memory, and
// numbers that stopped being numbers. Each message says where the run stopped and where the last
// checkpoint is, since that is what the user can continue from.

import { GpuError } from '../gpu/errors';

/** The last checkpoint the job saved: its step and, when the client said, where it went. */
export interface SavedCheckpoint {
  step: number;
  where: string | null;
}

/** Where the job was when something went wrong. */
export interface RunPosition {
  /** 1-based step being trained, or null outside the training loop. */
  step: number | null;
  of: number;
  phase: string;
  saved: SavedCheckpoint | null;
  /** Whether checkpoints are being saved at all (a sink was given). */
  saving: boolean;
}

/** Thrown through the job when the user stops it; nothing is exported (a checkpoint may be). */
export class JobStopped extends Error {
  constructor(message = 'the run was stopped') {
    super(message);
    this.name = 'JobStopped';
  }
}

/** A NaN or infinite loss or gradient: the run stops at that step, before anything is saved from it. */
export class NumericalFault extends Error {
  constructor(
    /** 1-based step whose loss or gradient was not finite. */
    readonly step: number,
    readonly what: 'loss' | 'gradient',
    message: string,
    readonly lastCheckpoint: SavedCheckpoint | null,
  ) {
    super(message);
    this.name = 'NumericalFault';
  }
}

export function checkpointNote(p: RunPosition): string {
  if (p.saved) return `the last checkpoint is from step ${p.saved.step}${p.saved.where ? `, in ${p.saved.where}` : ''}`;
  return p.saving ? 'no checkpoint had been saved yet' : 'checkpoints were not being saved';
}

function where(p: RunPosition): string {
  return p.step === null ? `during ${p.phase}` : `in step ${p.step} of ${p.of}`;
}

export function numericalFault(what: 'loss' | 'gradient', value: number, p: RunPosition & { step: number }, lr: number): NumericalFault {
  const cause =
    what === 'loss'
      ? `the loss became ${value} at step ${p.step} of ${p.of}`
      : `a gradient became NaN or infinite at step ${p.step} of ${p.of} (the loss was ${value.toFixed(4)}; the optimizer skipped the step)`;
  // Deterministic training repeats the same fault from the same checkpoint: the remedy is a new run.
  const remedy = `lower the learning rate (--lr, ${lr.toExponential(2)} at that step) and start the run again`;
  return new NumericalFault(p.step, what, `${cause}: training stopped; ${checkpointNote(p)}, before the fault. ${capitalise(remedy)}.`, p.saved);
}

/**
 * The same GPU error, its message extended with where the run stopped and the last checkpoint, on one
 * line. Anything else passes through unchanged.
 */
export function explainFailure(error: unknown, p: RunPosition): unknown {
  if (!(error instanceof GpuError) || error.kind === 'unavailable') return error;
  // The runtime's message already says what failed (lost, out of memory) and in which operation.
  const detail = error.message.replace(/\s*\n\s*/g, ' ').trim().replace(/([^.])$/, '$1.');
  const explained = new GpuError(error.kind, `${detail} The run stopped ${where(p)}; ${checkpointNote(p)}.`);
  explained.stack = error.stack;
  return explained;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
