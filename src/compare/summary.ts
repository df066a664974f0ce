// What one run of a comparison measured, and the per-method summary over seeds: mean ± sample
// standard deviation (n − 1 in the denominator, as the README's tables report), so that a lead of
// one method can be read against the spread of seeds. Pure: the CLI and the app share it.

import type { Method } from '../train/config';

export interface RunRecord {
  method: Method;
  seed: number;
  /** The base learning rate the run trained with. */
  lr: number;
  /** Final validation loss (nats per counted token); null when the data has no validation rows. */
  valLoss: number | null;
  /** Final label accuracy (0–1); null when the data has no labels. */
  accuracy: number | null;
  /** The same on the test split the data names (src/data/split.ts); null when it names none. */
  testLoss: number | null;
  testAccuracy: number | null;
  trainableParameters: number;
  /** The train phase alone, and every phase together. */
  trainSeconds: number;
  totalSeconds: number;
  /** High-water mark of GPU buffer bytes during the run. */
  peakBytes: number;
  /** Rank per adapted layer, for methods that allocate ranks (GoRA); null otherwise. */
  ranks: Array<{ name: string; rank: number }> | null;
  trainLoss: Array<{ step: number; loss: number }>;
  validation: Array<{ step: number; loss: number; accuracy: number | null }>;
}

export interface Stat {
  mean: number;
  /** Sample standard deviation; null for fewer than two values. */
  sd: number | null;
  n: number;
}

export interface RankSummary {
  min: number;
  max: number;
  /** Mean rank over every layer of every run. */
  mean: number;
}

export interface MethodSummary {
  method: Method;
  runs: number;
  seeds: number[];
  /** Distinct learning rates used (one unless runs differ). */
  lrs: number[];
  valLoss: Stat | null;
  accuracy: Stat | null;
  testLoss: Stat | null;
  testAccuracy: Stat | null;
  trainableParameters: Stat;
  trainSeconds: Stat;
  /** The largest peak of any run. */
  peakBytes: number;
  ranks: RankSummary | null;
}

export function stat(values: readonly number[]): Stat | null {
  const n = values.length;
  if (n === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, sd: null, n };
  const squares = values.reduce((sum, v) => sum + (v - mean) ** 2, 0);
  return { mean, sd: Math.sqrt(squares / (n - 1)), n };
}

/** One summary per method, in the order given (methods with no finished run are left out). */
export function summarize(records: readonly RunRecord[], order: readonly Method[]): MethodSummary[] {
  const summaries: MethodSummary[] = [];
  for (const method of order) {
    const runs = records.filter((r) => r.method === method);
    if (runs.length === 0) continue;
    const present = (values: Array<number | null>) => values.filter((v): v is number => v !== null && Number.isFinite(v));
    const ranks = runs.flatMap((r) => (r.ranks ?? []).map((l) => l.rank));
    summaries.push({
      method,
      runs: runs.length,
      seeds: runs.map((r) => r.seed),
      lrs: [...new Set(runs.map((r) => r.lr))],
      valLoss: stat(present(runs.map((r) => r.valLoss))),
      accuracy: stat(present(runs.map((r) => r.accuracy))),
      testLoss: stat(present(runs.map((r) => r.testLoss))),
      testAccuracy: stat(present(runs.map((r) => r.testAccuracy))),
      trainableParameters: stat(runs.map((r) => r.trainableParameters))!,
      trainSeconds: stat(runs.map((r) => r.trainSeconds))!,
      peakBytes: Math.max(...runs.map((r) => r.peakBytes)),
      ranks: ranks.length ? { min: Math.min(...ranks), max: Math.max(...ranks), mean: ranks.reduce((a, b) => a + b, 0) / ranks.length } : null,
    });
  }
  return summaries;
}
