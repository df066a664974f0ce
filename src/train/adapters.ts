// GoRA's initialisation from the gradient scan (docs/gora.md §2–§5); the other methods' are in
// initialise.ts, which calls this one for GoRA.

import type { Transformer } from '../engine/transformer';
import { Random } from '../engine/random';
import { allocateRanks, type Allocation, type AllocationSettings } from '../gora/allocate';
import { goraB0, kaimingUniform, loraScale } from '../gora/init';
import { gradientScan, gradientTimesAT, type ScanBatch, type ScanResult } from '../gora/scan';
import type { LinearTarget } from '../model/spec';
import type { JobConfig } from './config';

export interface InitialAdapter {
  rank: number;
  scale: number;
  A: Float32Array;
  B: Float32Array;
}

export interface GoraInit {
  scan: ScanResult;
  allocation: Allocation;
  adapters: Map<string, InitialAdapter>;
  /** G per target, when asked for (--save-scan). */
  gradients: Map<string, Float32Array> | null;
}

export async function scanAndAllocate(
  model: Transformer,
  targets: readonly LinearTarget[],
  batches: readonly ScanBatch[],
  config: JobConfig,
  options: {
    keepGradients: boolean;
    onBatch?: (done: number, loss: number) => void;
    onAllocation?: (a: Allocation) => void;
    /** Lets the user change the allocation settings before initialisation (no new scan). */
    review?: (a: Allocation) => Promise<AllocationSettings>;
  },
): Promise<GoraInit> {
  const scan = await gradientScan(model, targets, batches, options.onBatch, config.scanPasses);
  try {
    const layers = targets.map((t, i) => ({ name: t.module, m: t.out, n: t.in, importance: scan.importances[i] }));
    let allocation = allocateRanks(layers, { rankRef: config.rank, rankMin: config.rankMin, rankMax: config.rankMax, features: config.features });
    options.onAllocation?.(allocation);
    if (options.review) {
      allocation = allocateRanks(layers, await options.review(allocation));
      options.onAllocation?.(allocation);
    }
    const rng = new Random(config.seed ^ 0x6a09e667);
    const adapters = new Map<string, InitialAdapter>();
    for (const [i, t] of targets.entries()) {
      const rank = allocation.layers[i].rank;
      if (rank === 0) continue;
      const A = kaimingUniform(rng, rank, t.in);
      const GA = await gradientTimesAT(model, t, A, rank, scan.batches);
      const B = goraB0(GA, A, t.out, t.in, rank, config.gamma, config.alpha);
      adapters.set(t.name, { rank, scale: loraScale(config.alpha, rank, true), A, B });
    }
    let gradients: Map<string, Float32Array> | null = null;
    if (options.keepGradients) {
      gradients = new Map();
      for (const t of targets) gradients.set(t.name, (await model.gpu.readF32(model.weightGradient(t.name))).map((g) => g / scan.batches));
    }
    return { scan, allocation, adapters, gradients };
  } finally {
    model.untrackWeightGradients();
  }
}
