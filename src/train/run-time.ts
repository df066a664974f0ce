// How long a run takes. Scoring is counted in forward passes of one batch and generation in decode
// steps (one row through the key/value cache per new token), so that the time still ahead can be
// estimated from one timed training step, one timed forward pass and the timed decode steps of the
// base model's generations, and the evaluation phase can say how far it is.

import type { JobConfig } from './config';

/** What evaluation depends on besides the settings. */
export interface EvaluationShape {
  valRows: number;
  testRows: number;
  /** Rows per batch. */
  batchSize: number;
  /**
   * Labels scored one row each (labels that share a first token, docs/gora.md "Evaluation"); 0 when
   * the loss pass decides between them or the data has none.
   */
  labelRowsPerExample: number;
  /** Validation prompts generated from after training. */
  prompts: number;
}

type EvaluationSettings = Pick<JobConfig, 'steps' | 'evalEvery' | 'evalBatches' | 'maxNewTokens'>;

/** Forward passes of one scoring of `rows` rows (scoreRows in evaluate.ts): the loss pass, and the label rows when they are scored apart. */
export function scoringPasses(rows: number, shape: EvaluationShape, evalBatches: number): number {
  const scored = evalBatches > 0 ? Math.min(rows, evalBatches * shape.batchSize) : rows;
  return Math.ceil(scored / shape.batchSize) + Math.ceil((scored * shape.labelRowsPerExample) / shape.batchSize);
}

/** Decode steps of the adapted model's generations, one per new token of each prompt (at most: a prompt stops early at its stop token). */
export function generationPasses(shape: EvaluationShape, maxNewTokens: number): number {
  return shape.prompts * maxNewTokens;
}

/** The evaluation after training: validation, test split, generations, in that order. */
export function finalEvaluationPasses(config: EvaluationSettings, shape: EvaluationShape): { validation: number; test: number; generation: number } {
  return {
    validation: shape.valRows > 0 ? scoringPasses(shape.valRows, shape, config.evalBatches) : 0,
    test: shape.testRows > 0 ? scoringPasses(shape.testRows, shape, config.evalBatches) : 0,
    generation: generationPasses(shape, config.maxNewTokens),
  };
}

/** Scoring passes and generation's decode steps still ahead once `doneSteps` training steps are done. */
export function evaluationPassesAfter(doneSteps: number, config: EvaluationSettings, shape: EvaluationShape): { scoring: number; generation: number } {
  // Validation every evalEvery steps before the last; the last step's is the final evaluation's.
  const between = shape.valRows > 0 && config.evalEvery > 0 ? Math.max(0, Math.floor((config.steps - 1) / config.evalEvery) - Math.floor(doneSteps / config.evalEvery)) : 0;
  const final = finalEvaluationPasses(config, shape);
  return { scoring: between * final.validation + final.validation + final.test, generation: final.generation };
}

/** Seconds still ahead of a run: its remaining training steps, scoring passes and decode steps at the timed speeds. */
export function secondsAhead(doneSteps: number, config: EvaluationSettings, shape: EvaluationShape, timing: { stepSeconds: number; forwardSeconds: number; decodeSeconds: number }): { train: number; evaluate: number } {
  const ahead = evaluationPassesAfter(doneSteps, config, shape);
  return {
    train: Math.max(0, config.steps - doneSteps) * timing.stepSeconds,
    evaluate: ahead.scoring * timing.forwardSeconds + ahead.generation * timing.decodeSeconds,
  };
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "about 12 min 5 s in all (so far 40 s; ahead: training 10 min 2 s, evaluation 1 min 23 s)". */
export function estimateText(e: { elapsed: number; train: number; evaluate: number }): string {
  return `about ${formatSeconds(e.elapsed + e.train + e.evaluate)} in all (so far ${formatSeconds(e.elapsed)}; ahead: training ${formatSeconds(e.train)}, evaluation ${formatSeconds(e.evaluate)})`;
}
