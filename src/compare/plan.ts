// The runs of a comparison: every method × seed, on the same settings and parameter budget (the rank
// is r_ref for GoRA and the uniform rank of every other adapter, docs/gora.md §4), each method with
// its own learning rate and LoRA+ ratio unless one rate is asked for all.

import { defaultConfig, type JobConfig, type Method } from '../train/config';

export interface PlannedRun {
  method: Method;
  seed: number;
  config: JobConfig;
}

/** Seed by seed, every method at each seed, so a comparison stopped part-way has the same seeds for each method. */
export function comparisonPlan(base: JobConfig, methods: readonly Method[], seeds: readonly number[], lrForAll: number | null): PlannedRun[] {
  return seeds.flatMap((seed) =>
    methods.map((method) => {
      const own = defaultConfig(method);
      const config: JobConfig = {
        ...base,
        method,
        seed,
        lr: lrForAll ?? own.lr,
        loraPlusRatio: own.loraPlusRatio,
        // A comparison shows no generations and keeps no checkpoints: it is repeated whole.
        generateSamples: 0,
        checkpointEvery: 0,
      };
      return { method, seed, config };
    }),
  );
}
