// The adapters' optimizer (docs/gora.md §7): AdamW on every A and B, LoRA+ learning rates
// (lr_B = 16 · lr_A through each tensor's lrMultiplier), gradient clipping at global norm 1.0.
// A step is recorded into the caller's encoder and never reads anything back: the per-tensor sums of
// squares, the clip factor and the norm stay on the GPU; the norm is read only when asked for.

import type { Encoder } from '../gpu/encoder';
import type { Allocator } from '../gpu/gpu';
import { adamwStep, clipScale, SCALE_FLOATS } from './ops/optimizer';
import { partialGroups, reduce } from './ops/reduce';
import { requireFloats } from './ops/check';

/** One trained tensor: its parameter and gradient buffers (the gradient is accumulated into, llm.c style). */
export interface ParameterGroup {
  /** Unique; the key of the tensor's moments in state(). */
  name: string;
  /** [size] */
  param: GPUBuffer;
  /** [size] */
  grad: GPUBuffer;
  size: number;
  /** LoRA+: 1 for A, 16 for B. */
  lrMultiplier: number;
}

export interface AdapterOptimizerOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay; 0 as in docs/gora.md §7. */
  weightDecay?: number;
  /** Global-norm clipping threshold; 1.0 as in docs/gora.md §7, Infinity to disable. */
  maxGradNorm?: number;
}

/** AdamW's first and second moments of one tensor, for checkpoints. */
export interface MomentState {
  m: Float32Array;
  v: Float32Array;
}

interface Slot {
  group: ParameterGroup;
  /** [size], zero-initialised (WebGPU clears new buffers). */
  m: GPUBuffer;
  /** [size] */
  v: GPUBuffer;
}

export class AdapterOptimizer {
  readonly options: Readonly<Required<AdapterOptimizerOptions>>;
  private readonly slots: Slot[];
  /** Partial sums of one reduction at a time: reused by every tensor, in order. */
  private readonly scratch: GPUBuffer;
  /** [tensors]: Σ grad² per tensor. */
  private readonly sumSquares: GPUBuffer;
  /** [SCALE_FLOATS]: clip factor, global gradient norm, count of skipped (non-finite) steps. */
  private readonly scale: GPUBuffer;

  constructor(
    private readonly gpu: Allocator,
    groups: readonly ParameterGroup[],
    options: AdapterOptimizerOptions = {},
  ) {
    if (groups.length === 0) throw new RangeError('AdapterOptimizer: no parameter groups');
    const names = new Set<string>();
    for (const group of groups) {
      if (names.has(group.name)) throw new RangeError(`AdapterOptimizer: the name "${group.name}" is used twice`);
      names.add(group.name);
      if (!Number.isInteger(group.size) || group.size < 1) throw new RangeError(`AdapterOptimizer: "${group.name}" has size ${group.size}`);
      if (!(Number.isFinite(group.lrMultiplier) && group.lrMultiplier >= 0)) {
        throw new RangeError(`AdapterOptimizer: "${group.name}" has lrMultiplier ${group.lrMultiplier}`);
      }
      requireFloats('AdapterOptimizer', `${group.name} param`, group.param, group.size);
      requireFloats('AdapterOptimizer', `${group.name} grad`, group.grad, group.size);
    }
    this.options = {
      beta1: options.beta1 ?? 0.9,
      beta2: options.beta2 ?? 0.999,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      maxGradNorm: options.maxGradNorm ?? 1.0,
    };
    if (!(this.options.maxGradNorm > 0)) throw new RangeError(`AdapterOptimizer: maxGradNorm must be positive, got ${this.options.maxGradNorm}`);
    this.slots = groups.map((group) => ({
      group,
      m: gpu.createBuffer(`${group.name} adam m`, group.size * 4),
      v: gpu.createBuffer(`${group.name} adam v`, group.size * 4),
    }));
    const scratchFloats = Math.max(...groups.map((g) => partialGroups(g.size)));
    this.scratch = gpu.createBuffer('optimizer partial sums', scratchFloats * 4);
    this.sumSquares = gpu.createBuffer('optimizer grad sum squares', groups.length * 4);
    this.scale = gpu.createBuffer('optimizer clip scale', SCALE_FLOATS * 4);
  }

  get groups(): ParameterGroup[] {
    return this.slots.map((s) => s.group);
  }

  /**
   * Records one optimizer update: Σ grad² per tensor, the global clip factor, then AdamW on every
   * tensor with lr · lrMultiplier. `stepNumber` is AdamW's 1-based t; `lr` the schedule's value.
   */
  step(enc: Encoder, stepNumber: number, lr: number): void {
    this.slots.forEach(({ group }, i) => reduce(enc, 'sumSquares', this.sumSquares, i, this.scratch, group.grad, null, group.size));
    clipScale(enc, this.scale, this.sumSquares, this.slots.length, this.options.maxGradNorm);
    const { beta1, beta2, eps, weightDecay } = this.options;
    for (const { group, m, v } of this.slots) {
      adamwStep(enc, group.param, group.grad, m, v, this.scale, group.size, {
        lr: lr * group.lrMultiplier,
        beta1,
        beta2,
        eps,
        weightDecay,
        step: stepNumber,
      });
    }
  }

  /** Records clearing every gradient buffer (backward passes accumulate into them). */
  zeroGrad(enc: Encoder): void {
    for (const { group } of this.slots) enc.clear(group.grad, 0, group.size * 4);
  }

  /**
   * The global gradient norm before clipping, of the last recorded step once it has run (NaN or
   * Infinity if that step's gradients were not finite and it was skipped). One readback: call it
   * every K steps for display, not every step.
   */
  async readGradNorm(): Promise<number> {
    return (await this.gpu.readF32(this.scale, 1, 1))[0];
  }

  /** How many steps were skipped so far because a gradient was not finite. */
  async readSkippedSteps(): Promise<number> {
    return (await this.gpu.readF32(this.scale, 1, 2))[0];
  }

  /**
   * Records copying the skipped-step count (one float) into `destination` at `byteOffset`, so a
   * caller can read it back together with its own values in one readback, every step.
   */
  copySkippedSteps(enc: Encoder, destination: GPUBuffer, byteOffset: number): void {
    enc.copy(this.scale, destination, 4, 2 * 4, byteOffset);
  }

  /** Reads m and v of every tensor, by name (for checkpoints). */
  async state(): Promise<Record<string, MomentState>> {
    const out: Record<string, MomentState> = {};
    for (const { group, m, v } of this.slots) {
      out[group.name] = { m: await this.gpu.readF32(m, group.size), v: await this.gpu.readF32(v, group.size) };
    }
    return out;
  }

  /** Restores m and v of every tensor from state(); every name must be present with its size. */
  loadState(state: Readonly<Record<string, MomentState>>): void {
    for (const { group } of this.slots) {
      const moments = state[group.name];
      if (!moments) throw new RangeError(`AdapterOptimizer.loadState: no moments for "${group.name}"`);
      for (const key of ['m', 'v'] as const) {
        if (moments[key].length !== group.size) {
          throw new RangeError(`AdapterOptimizer.loadState: "${group.name}" ${key} has ${moments[key].length} floats, expected ${group.size}`);
        }
      }
    }
    for (const { group, m, v } of this.slots) {
      this.gpu.write(m, state[group.name].m);
      this.gpu.write(v, state[group.name].v);
    }
  }

  /** Frees the moments and scratch buffers (not the parameters and gradients, which the caller owns). */
  destroy(): void {
    for (const { m, v } of this.slots) {
      m.destroy();
      v.destroy();
    }
    for (const buffer of [this.scratch, this.sumSquares, this.scale]) buffer.destroy();
  }
}
