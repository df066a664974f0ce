// GoRA's allocation and initialisation from a gradient scan (docs/gora.md §3–§5), in the stages the
// job times as its own phases: the scan (src/gora/scan.ts), the allocation (allocateFromScan, pure)
// and the initial adapters (goraAdapters, which needs the scan's gradients still on the model).
// scanAndAllocate runs the three in one call. The other methods' initialisation is in initialise.ts.

import type { TrainableModel } from '../engine/trainable';
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

/** The settings allocateRanks reads, as the config holds them. */
export function allocationSettings(config: JobConfig): AllocationSettings {
  return { rankRef: config.rank, rankMin: config.rankMin, rankMax: config.rankMax, features: config.features };
}

/** Ranks from the scan's importances (docs/gora.md §3, §4): no GPU work, so a review re-runs it at once. */
export function allocateFromScan(targets: readonly LinearTarget[], scan: ScanResult, settings: AllocationSettings): Allocation {
  const layers = targets.map((t, i) => ({ name: t.module, m: t.out, n: t.in, importance: scan.importances[i] }));
  return allocateRanks(layers, settings);
}

/**
 * GoRA's initial adapters at the allocated ranks (docs/gora.md §5): A₀ Kaiming-uniform, B₀ from G·A₀ᵀ.
 * The model must still track the scan's gradients; a layer of rank 0 gets no adapter.
 */
export async function goraAdapters(model: TrainableModel, targets: readonly LinearTarget[], scan: ScanResult, allocation: Allocation, config: JobConfig): Promise<Map<string, InitialAdapter>> {
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
  return adapters;
}

/** G = Σ_b ∂L_b/∂W / N of every target, read back from the model (for --save-scan). */
export async function meanScanGradients(model: TrainableModel, targets: readonly LinearTarget[], scan: ScanResult): Promise<Map<string, Float32Array>> {
  const gradients = new Map<string, Float32Array>();
  for (const t of targets) gradients.set(t.name, (await model.gpu.readF32(model.weightGradient(t.name))).map((g) => g / scan.batches));
  return gradients;
}

/** Scan, allocation and initial adapters in one call (benchmarks, tests); the job runs the stages as phases. */
export async function scanAndAllocate(
  model: TrainableModel,
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
    let allocation = allocateFromScan(targets, scan, allocationSettings(config));
    options.onAllocation?.(allocation);
    if (options.review) {
      allocation = allocateFromScan(targets, scan, await options.review(allocation));
      options.onAllocation?.(allocation);
    }
    const adapters = await goraAdapters(model, targets, scan, allocation, config);
    const gradients = options.keepGradients ? await meanScanGradients(model, targets, scan) : null;
    return { scan, allocation, adapters, gradients };
  } finally {
    model.untrackWeightGradients();
  }
}
