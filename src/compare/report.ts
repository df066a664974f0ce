// compare.json: the settings shared by every run, each method's summary, and every run's numbers and
// loss curves, so a table or a plot can be redrawn without running anything again.

import type { JobConfig, Method } from '../train/config';
import { summarize, type MethodSummary, type RunRecord } from './summary';

export interface ComparisonReport {
  /** Settings shared by every run (the method, seed and learning rate vary per run, and are in `runs`). */
  settings: Omit<JobConfig, 'method' | 'seed' | 'lr'>;
  methods: Method[];
  seeds: number[];
  model: string;
  data: string;
  summaries: MethodSummary[];
  runs: RunRecord[];
}

export function comparisonReport(inputs: { settings: JobConfig; methods: Method[]; seeds: number[]; model: string; data: string; runs: RunRecord[] }): ComparisonReport {
  const { method: _method, seed: _seed, lr: _lr, ...settings } = inputs.settings;
  return { settings, methods: inputs.methods, seeds: inputs.seeds, model: inputs.model, data: inputs.data, summaries: summarize(inputs.runs, inputs.methods), runs: inputs.runs };
}

/** The seeds of a comparison: `count` consecutive seeds from `first`. */
export function comparisonSeeds(first: number, count: number): number[] {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`--seeds must be a whole number ≥ 1, got ${count}`);
  if (!Number.isSafeInteger(first) || first < 0) throw new RangeError(`--seed must be a whole number ≥ 0, got ${first}`);
  return Array.from({ length: count }, (_, i) => first + i);
}
