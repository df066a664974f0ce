// GoRA Phases 1, 2 and 4 on the GPU (docs/gora.md §2, §3, §5): accumulate ∂L_b/∂W of every target layer over N
// batches of the frozen model, reduce importance mean|W ⊙ G| per layer, and form G·A₀ᵀ for the
// initialisation. G = (1/N)·Σ_b ∂L_b/∂W, L_b the batch's mean loss over counted tokens.

import type { Allocator } from '../gpu/gpu';
import type { ModelBatch, TrainableModel } from '../engine/trainable';
import { matmul } from '../engine/ops/matmul';
import { partialGroups, reduce } from '../engine/ops/reduce';
import type { LinearTarget } from '../model/spec';

/** A batch as the model takes it (tokens, targets −100 where not counted, their count, an encoder's source). */
export type ScanBatch = ModelBatch;

export interface ScanResult {
  /** mean |W ⊙ G| per target, in the order of `targets`. */
  importances: number[];
  /** Mean loss of each scan batch under the base model. */
  losses: number[];
  batches: number;
  seconds: number;
}

/**
 * Runs the scan. On return the model tracks Σ_b ∂L_b/∂W for every target (`model.weightGradient`;
 * divide by `batches` for G); the caller frees them with `model.untrackWeightGradients()` when done.
 * With `passes` > 1 the targets are split into that many groups of consecutive layers, the batches
 * are run once per group, and each group's gradients go to CPU memory before the next: the GPU then
 * holds one group's gradients at a time, for `passes` forward passes and, as the groups run from the
 * bottom layers up, backward passes through (passes + 1) / 2 of the layers on average (memory-plan.ts chooses).
 */
export async function gradientScan(
  model: TrainableModel,
  targets: readonly LinearTarget[],
  batches: readonly ScanBatch[],
  onBatch?: (done: number, loss: number) => void,
  passes = 1,
): Promise<ScanResult> {
  if (model.adapters.size > 0) throw new Error('the gradient scan runs on the frozen base model: detach adapters first');
  if (batches.length === 0) throw new RangeError('the gradient scan needs at least one batch');
  const start = performance.now();
  const groups = layerGroups(targets, passes, (name) => model.layerOf(name));
  const losses: number[] = [];
  const importances: number[] = [];
  for (const [pass, group] of groups.entries()) {
    for (const t of group) model.trackWeightGradient(t.name);
    // Backward needs to reach the group's lowest layer only: the layers under it hold no gradient
    // this pass keeps, so a pass costs a forward and the backward of the layers from the top down to it.
    const lowest = Math.min(...group.map((t) => model.layerOf(t.name)));
    for (const [i, batch] of batches.entries()) {
      model.useBatch(batch);
      await model.gpu.run(`scan batch ${i}${groups.length > 1 ? ` (pass ${pass + 1} of ${groups.length})` : ''}`, (enc) => {
        model.forward(enc, 1 / batch.count);
        model.backward(enc, groups.length > 1 ? lowest : 0);
      });
      // The losses are the same in every pass: the first one reports them.
      if (pass > 0) continue;
      const rowLosses = await model.gpu.readF32(model.losses);
      losses.push(rowLosses.reduce((a, b) => a + b, 0) / batch.count);
      onBatch?.(i + 1, losses[i]);
    }
    importances.push(...(await meanAbsProducts(model, group, batches.length)));
    if (groups.length > 1) await model.offloadWeightGradients();
  }
  return { importances, losses, batches: batches.length, seconds: (performance.now() - start) / 1000 };
}

/** Consecutive runs of targets, split between layers into `passes` groups of near-equal size. */
export function layerGroups(targets: readonly LinearTarget[], passes: number, layerOfName: (name: string) => number): LinearTarget[][] {
  const layerOf = (t: LinearTarget) => layerOfName(t.name);
  const layers = [...new Set(targets.map(layerOf))];
  const count = Math.max(1, Math.min(passes, layers.length));
  return Array.from({ length: count }, (_, g) => {
    const chosen = new Set(layers.slice(Math.floor((g * layers.length) / count), Math.floor(((g + 1) * layers.length) / count)));
    return targets.filter((t) => chosen.has(layerOf(t)));
  });
}

/** mean |W ⊙ G| of each target, reduced on the GPU from the tracked Σ_b gradients. */
async function meanAbsProducts(model: TrainableModel, targets: readonly LinearTarget[], batches: number): Promise<number[]> {
  const gpu = model.gpu;
  const { out, scratch } = importanceBuffers(gpu, targets);
  try {
    await gpu.run('importance', (enc) => {
      targets.forEach((t, i) => reduce(enc, 'meanAbsProduct', out, i, scratch, model.linearWeight(t.name), model.weightGradient(t.name), t.out * t.in));
    });
    // The gradients hold Σ_b; mean|W ⊙ G| = mean|W ⊙ Σ_b| / N.
    return [...(await gpu.readF32(out, targets.length))].map((s) => s / batches);
  } finally {
    out.destroy();
    scratch.destroy();
  }
}

/** meanAbsProducts' buffers for a group of targets (the memory plan counts them with this too). */
export function importanceBuffers(gpu: Allocator, targets: readonly LinearTarget[]): { out: GPUBuffer; scratch: GPUBuffer } {
  const out = gpu.createBuffer('importances', targets.length * 4);
  const scratch = gpu.createBuffer('importance partials', Math.max(...targets.map((t) => partialGroups(t.out * t.in))) * 4);
  return { out, scratch };
}

/** gradientTimesAT's buffers: A₀ [r, n] and G·A₀ᵀ [m, r] (the memory plan counts them with this too). */
export function gradientTimesATBuffers(gpu: Allocator, target: LinearTarget, rank: number): { a: GPUBuffer; ga: GPUBuffer } {
  return { a: gpu.createBuffer(`${target.name} A0`, rank * target.in * 4), ga: gpu.createBuffer(`${target.name} G·A0ᵀ`, target.out * rank * 4) };
}

/** G·A₀ᵀ [m, r] for one target, from the scan's Σ_b gradients (so scaled by 1/N). */
export async function gradientTimesAT(model: TrainableModel, target: LinearTarget, A0: Float32Array, rank: number, batches: number): Promise<Float32Array> {
  const gpu = model.gpu;
  const gradient = model.weightGradient(target.name);
  const { a, ga } = gradientTimesATBuffers(gpu, target, rank);
  gpu.write(a, A0);
  try {
    await gpu.run('G·A0ᵀ', (enc) => matmul(enc, ga, gradient, a, null, { M: target.out, N: rank, K: target.in, transB: true, alpha: 1 / batches }));
    return await gpu.readF32(ga, target.out * rank);
  } finally {
    a.destroy();
    ga.destroy();
  }
}
