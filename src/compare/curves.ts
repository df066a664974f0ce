// Loss curves of a comparison: per method, the mean over its runs of the train loss at each step and
// of the validation loss at each evaluation, as rows for a chart (one row per step).

import type { Method } from '../train/config';
import type { RunRecord } from './summary';

export type CurveRow = { step: number } & Record<string, number>;

export const trainKey = (method: Method) => `${method} train`;
export const validationKey = (method: Method) => `${method} validation`;

export function meanCurves(records: readonly Pick<RunRecord, 'method' | 'trainLoss' | 'validation'>[]): CurveRow[] {
  // step → key → [sum, count]
  const sums = new Map<number, Map<string, [number, number]>>();
  const add = (step: number, key: string, value: number) => {
    if (!Number.isFinite(value)) return;
    const row = sums.get(step) ?? new Map<string, [number, number]>();
    const cell = row.get(key) ?? [0, 0];
    row.set(key, [cell[0] + value, cell[1] + 1]);
    sums.set(step, row);
  };
  for (const r of records) {
    for (const p of r.trainLoss) add(p.step, trainKey(r.method), p.loss);
    for (const p of r.validation) add(p.step, validationKey(r.method), p.loss);
  }
  return [...sums.entries()]
    .sort(([a], [b]) => a - b)
    .map(([step, row]) => Object.assign({ step }, Object.fromEntries([...row].map(([key, [sum, n]]) => [key, sum / n]))) as CurveRow);
}
