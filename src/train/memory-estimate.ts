// The GPU memory a run will need, known before anything is allocated: a dry run of the job's own
// allocation on a counting GPU (src/gpu/counting.ts). The weights are allocated as the loader
// allocates them (src/engine/weight-plan.ts), then the same constructors and methods the job calls
// run in the job's order — the Transformer, the scan's gradients group by group with the scratch of
// the importance reduction and of the initialisation from G, the adapters, the optimizer, the step's
// readback buffer — and each phase's peak is read off the counter. Nothing here restates a buffer's
// size: a change to what the engine allocates changes the estimate with it.

import { AdapterOptimizer } from '../engine/optimizer';
import { Transformer } from '../engine/transformer';
import { layerOfLinear } from '../engine/architecture';
import { weightPlan } from '../engine/weight-plan';
import type { WeightFormat } from '../engine/weight-format';
import { DEFAULT_ALLOCATION } from '../gora/allocate';
import { gradientTimesATBuffers, importanceBuffers, layerGroups } from '../gora/scan';
import { subspaceBuffers } from '../gora/svd';
import { CountingGpu } from '../gpu/counting';
import { MAP_READ_COPY_DST, type Allocator } from '../gpu/gpu';
import type { LinearTarget, ModelSpec } from '../model/spec';
import { linearTargets, specEntries } from '../model/weights';
import { needsScan, type Method } from './config';
import { stepProbe, trainedParameterGroups } from './full';

export interface MemoryEstimate {
  /** The model's weights as loaded. */
  weights: number;
  /** Everything the Transformer allocates for a batch shape (activations, their gradients, head scratch, rope tables). */
  activations: number;
  /**
   * The most the scan of GoRA or LoRA-GA adds at once (freed before training): the gradients of every
   * target, or with scanPasses > 1 of the largest group of layers, with the scratch of the
   * importance reduction and of the initialisation from G.
   */
  scanGradients: number;
  /** The most training adds at once: adapters (or every weight's gradient), AdamW's moments, scratch. */
  training: number;
  /** The most alive at once over the whole run. */
  peak: number;
}

export interface TrainableSettings {
  method: Method;
  /** r_ref for GoRA, the uniform rank of the other adapter methods. */
  rank: number;
  /** GoRA before its allocation: every layer counted at r_max (the worst case); DEFAULT_ALLOCATION's when absent. */
  rankMax?: number;
  /** GoRA once ranks are allocated: the rank of each target by name (absent or 0: no adapter). */
  ranks?: ReadonlyMap<string, number>;
  scanPasses?: number;
  /** How frozen linear weights are stored (src/engine/weight-format.ts); f32 when absent. */
  weightFormat?: WeightFormat;
  /** Checkpoints are saved while training: each trained tensor and its moments are read back through a staging buffer. */
  checkpoints?: boolean;
  /** The scan's gradients are read back too (--save-scan). */
  keepScanGradients?: boolean;
  /** A resumed run: no scan, no initialisation from it. */
  resumed?: boolean;
}

/** bindingLimit: the GPU's storage-binding limit in bytes (Gpu.bindingLimitBytes), which decides the row chunks and the head's passes. */
export function estimateMemory(spec: ModelSpec, B: number, T: number, trainable: TrainableSettings, bindingLimit = Infinity): MemoryEstimate {
  const gpu = new CountingGpu({ maxStorageBufferBindingSize: bindingLimit });
  const weights = new Map(weightPlan(specEntries(spec), trainable.weightFormat ?? 'f32', bindingLimit).map((w) => [w.name, gpu.createBuffer(w.name, w.bytes)]));
  const weightBytes = gpu.allocatedBytes;
  const model = new Transformer(gpu, spec, weights, { B, T });
  void gpu.unused; // bound by kernels with an operand they do not read, from the first step on
  const resident = gpu.allocatedBytes;
  const targets = linearTargets(spec);
  const rankOf = (t: LinearTarget): number => {
    if (trainable.method !== 'gora') return trainable.rank;
    return trainable.ranks ? (trainable.ranks.get(t.name) ?? 0) : (trainable.rankMax ?? DEFAULT_ALLOCATION.rankMax);
  };

  const scans = needsScan(trainable.method) && !trainable.resumed;
  if (scans) scan(gpu, model, targets, trainable, rankOf);
  const scanPeak = gpu.peakBytes;
  gpu.peakBytes = gpu.allocatedBytes;
  train(gpu, model, targets, trainable, rankOf);
  const trainPeak = gpu.peakBytes;
  model.destroy();
  return {
    weights: weightBytes,
    activations: resident - weightBytes,
    scanGradients: scans ? scanPeak - resident : 0,
    training: trainPeak - resident,
    peak: Math.max(scanPeak, trainPeak),
  };
}

/** gradientScan, then GoRA's B₀ from G·A₀ᵀ (train/adapters.ts) or LoRA-GA's SVD of G (train/initialise.ts), one target at a time. */
function scan(gpu: CountingGpu, model: Transformer<CountingGpu>, targets: readonly LinearTarget[], s: TrainableSettings, rankOf: (t: LinearTarget) => number): void {
  const groups = layerGroups(targets, s.scanPasses ?? 1, layerOfLinear);
  for (const group of groups) {
    for (const t of group) model.trackWeightGradient(t.name);
    readback(gpu, model.losses.size);
    const { out, scratch } = importanceBuffers(gpu, group);
    readback(gpu, out.size);
    transient([out, scratch]);
    if (groups.length > 1) {
      // offloadWeightGradients: each gradient read back to the CPU, in order, then freed.
      for (const buffer of model.weightGradients.values()) {
        readback(gpu, buffer.size);
        buffer.destroy();
      }
      model.untrackWeightGradients();
    }
  }
  for (const t of targets) {
    // An offloaded G comes back into one buffer (Transformer.weightGradient).
    if (groups.length > 1) model.reloadBuffer(t.name);
    if (s.method === 'gora' && rankOf(t) > 0) {
      const { a, ga } = gradientTimesATBuffers(gpu, t, rankOf(t));
      readback(gpu, ga.size);
      transient([a, ga]);
    }
    if (s.method === 'lora-ga') subspace(gpu, t, 2 * s.rank);
    if (s.keepScanGradients) readback(gpu, t.out * t.in * 4);
  }
  model.untrackWeightGradients();
}

/** PiSSA's SVD of W, the adapters (or every weight's gradient), the optimizer and a step's buffers. */
function train(gpu: CountingGpu, model: Transformer<CountingGpu>, targets: readonly LinearTarget[], s: TrainableSettings, rankOf: (t: LinearTarget) => number): void {
  if (s.method === 'pissa' && !s.resumed) {
    // A W in a stored format is multiplied transposed, through one more [l, max(m, n)] buffer (gora/svd.ts).
    for (const t of targets) subspace(gpu, t, Math.min(s.rank, t.out, t.in), 2 * s.rank, (s.weightFormat ?? 'f32') !== 'f32');
  }
  if (s.method !== 'full') for (const t of targets) if (rankOf(t) > 0) model.allocateAdapter(t.name, rankOf(t), 1);
  const groups = trainedParameterGroups(model, s.method, 1);
  const optimizer = new AdapterOptimizer(gpu, groups);
  const probe = stepProbe(gpu, model.N);
  readback(gpu, probe.size);
  if (s.checkpoints) readback(gpu, Math.max(...groups.map((g) => g.param.size)));
  probe.destroy();
  optimizer.destroy();
}

/** topSingularTriplets of a target's G or W: its two bases, each read back in turn while both live. */
function subspace(gpu: Allocator, t: LinearTarget, k: number, oversampling?: number, packed = false): void {
  const { left, right, flipped } = subspaceBuffers(gpu, t.out, t.in, k, oversampling, packed);
  readback(gpu, Math.max(left.size, right.size, flipped?.size ?? 0));
  transient([left, right, ...(flipped ? [flipped] : [])]);
}

/** Buffers a phase makes and frees again (their bytes count towards its peak only). */
function transient(buffers: readonly GPUBuffer[]): void {
  for (const buffer of buffers) buffer.destroy();
}

/** Gpu.read's staging buffer for `bytes`, alive while one readback runs. */
function readback(gpu: Allocator, bytes: number): void {
  gpu.createBuffer('readback', bytes, MAP_READ_COPY_DST).destroy();
}
