// A finished job's numbers as one comparison run (the CLI's side; the app builds the same record
// from its folded run state).

import type { JobResult } from '../train/job';
import type { RunRecord } from './summary';

/** Trainable values: every weight in full training, else every adapter's A and B. */
export function trainableParameters(result: Pick<JobResult, 'weights' | 'trained'>): number {
  if (result.weights) return [...result.weights.values()].reduce((sum, w) => sum + w.length, 0);
  return [...result.trained.values()].reduce((sum, a) => sum + a.A.length + a.B.length, 0);
}

export function recordFromJob(result: Pick<JobResult, 'config' | 'weights' | 'trained' | 'allocation' | 'steps' | 'evaluations' | 'final' | 'test' | 'seconds'>, peakBytes: number): RunRecord {
  const { config, final, test } = result;
  return {
    method: config.method,
    seed: config.seed,
    lr: config.lr,
    valLoss: Number.isFinite(final.loss) ? final.loss : null,
    accuracy: final.accuracy,
    testLoss: test && Number.isFinite(test.loss) ? test.loss : null,
    testAccuracy: test?.accuracy ?? null,
    trainableParameters: trainableParameters(result),
    trainSeconds: result.seconds.train ?? 0,
    totalSeconds: Object.values(result.seconds).reduce((a, b) => a + (b ?? 0), 0),
    peakBytes,
    ranks: result.allocation ? result.allocation.layers.map((l) => ({ name: l.name, rank: l.rank })) : null,
    // StepRecord.step counts from 0; the curves (like the job's step events) count from 1.
    trainLoss: result.steps.map((s) => ({ step: s.step + 1, loss: s.loss })),
    validation: result.evaluations.map((e) => ({ step: e.step, loss: e.loss, accuracy: e.accuracy })),
  };
}
