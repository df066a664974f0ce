// What a job tells its client (CLI, Web Worker, tests) as it runs. The UI state is a fold of these.

import type { Allocation } from '../gora/allocate';

export type Phase = 'load' | 'scan' | 'allocate' | 'initialise' | 'train' | 'evaluate' | 'export';

export interface Evaluation {
  step: number;
  loss: number;
  /** Counted validation tokens the loss averages over. */
  tokens: number;
  /** Classification-style data only: share of validation examples whose label scores highest. */
  accuracy: number | null;
  examples: number;
}

export interface Generation {
  prompt: string;
  base: string;
  adapted: string;
}

export type JobEvent =
  | { type: 'phase'; phase: Phase; status: 'start' | 'end'; seconds?: number; detail?: string }
  | { type: 'progress'; phase: Phase; done: number; total: number; detail?: string }
  | { type: 'scan-batch'; batch: number; of: number; loss: number }
  | { type: 'allocation'; allocation: Allocation }
  | { type: 'init'; baseLoss: number; initLoss: number }
  | { type: 'step'; step: number; of: number; loss: number; lr: number; tokensPerSecond: number; elapsed: number; remaining: number }
  /**
   * After the first training steps: seconds since the job started and still ahead, from timed steps
   * and a timed forward pass (run-time.ts).
   */
  | { type: 'estimate'; step: number; elapsed: number; train: number; evaluate: number }
  | { type: 'evaluation'; evaluation: Evaluation }
  /** After training, the scores on the test split the data names (none is sent when it names none). */
  | { type: 'test'; evaluation: Evaluation }
  | { type: 'generations'; samples: Generation[] }
  /** A checkpoint was saved (`where`, when the sink says) or could not be (`error`): the run goes on either way. */
  | { type: 'checkpoint'; step: number; where: string | null; error: string | null }
  /** At the end of a run: the measured peak of its own GPU buffers and the dry run's estimate, in bytes. */
  | { type: 'memory'; peakBytes: number; estimateBytes: number | null }
  /** At the end of a run: its seconds, and how many of them went to evaluation (scoring and generation). */
  | { type: 'run-time'; seconds: number; evaluation: number }
  | { type: 'log'; message: string };
