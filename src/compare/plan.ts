// The runs of a comparison: every method × seed, on the same settings and parameter budget (the rank
// is r_ref for GoRA and the uniform rank of every other adapter, docs/gora.md §4), each method with
// its own learning rate and LoRA+ ratio unless one rate is asked for all.

import type { JobConfig, Method } from '../train/config';
import { PER_METHOD_SETTINGS, settingDefault } from '../train/settings';

export interface PlannedRun {
  method: Method;
  seed: number;
  config: JobConfig;
}

/** Seed by seed, every method at each seed, so a comparison stopped part-way has the same seeds for each method. */
export function comparisonPlan(base: JobConfig, methods: readonly Method[], seeds: readonly number[], lrForAll: number | null): PlannedRun[] {
  return seeds.flatMap((seed) =>
    methods.map((method) => {
      // Each method's own defaults where they differ by method (its learning rate, its LoRA+ ratio).
      const own = Object.fromEntries(PER_METHOD_SETTINGS.map((key) => [key, settingDefault(key, method)]));
      const config: JobConfig = {
        ...base,
        ...own,
        method,
        seed,
        ...(lrForAll !== null ? { lr: lrForAll } : {}),
        // A comparison shows no generations and keeps no checkpoints: it is repeated whole.
        generateSamples: 0,
        checkpointEvery: 0,
      };
      return { method, seed, config };
    }),
  );
}
