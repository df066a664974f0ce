// A comparison run's numbers from its folded state (the app's side of src/compare/record.ts).

import type { RunRecord } from '../../compare/summary';
import { finalEvaluation, PHASES, type RunState } from './fold';

/** What gora_report.json (src/export/report.ts) says the run trained; the allocation's count for GoRA. */
export function trainableOfRun(run: RunState): number | null {
  const report = run.files?.['gora_report.json'];
  if (report) {
    const parsed = JSON.parse(new TextDecoder().decode(report)) as { budget?: { trainable_parameters?: number } };
    if (typeof parsed.budget?.trainable_parameters === 'number') return parsed.budget.trainable_parameters;
  }
  return run.allocation?.trainableParameters ?? null;
}

/** The run's record once it is done (null before: a run still going has no final numbers). */
export function recordFromRun(run: RunState): RunRecord | null {
  const final = finalEvaluation(run);
  if (run.status !== 'done') return null;
  return {
    seed: run.config.seed,
    lr: run.config.lr,
    valLoss: final && Number.isFinite(final.loss) ? final.loss : null,
    accuracy: final?.accuracy ?? null,
    testLoss: run.test && Number.isFinite(run.test.loss) ? run.test.loss : null,
    testAccuracy: run.test?.accuracy ?? null,
    trainableParameters: trainableOfRun(run) ?? 0,
    trainSeconds: run.phases.train.seconds ?? 0,
    totalSeconds: PHASES.reduce((sum, p) => sum + (run.phases[p].seconds ?? 0), 0),
    peakBytes: run.memory?.peak ?? 0,
    ranks: run.allocation ? run.allocation.layers.map((l) => ({ name: l.name, rank: l.rank })) : null,
    // The method and both curves.
    ...curvesOfRun(run),
  };
}

/** The run's curves so far (also while it trains). */
export function curvesOfRun(run: RunState): Pick<RunRecord, 'method' | 'trainLoss' | 'validation'> {
  return {
    method: run.config.method,
    trainLoss: run.steps.map((s) => ({ step: s.step, loss: s.loss })),
    validation: run.evaluations.map((e) => ({ step: e.step, loss: e.loss, accuracy: e.accuracy })),
  };
}
