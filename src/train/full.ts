// Full fine-tuning (docs/gora.md §9: every weight trainable): no adapters; AdamW over every
// weight buffer the model holds, each with its own gradient, at the base learning rate. The job and
// scripts/pretrain.ts both train this way; the latter starts from initialWeights.

import type { ParameterGroup } from '../engine/optimizer';
import { Random } from '../engine/random';
import type { Transformer } from '../engine/transformer';
import type { AdapterBuffers } from '../engine/trainable';
import type { Allocator } from '../gpu/gpu';
import type { Method } from './config';
import type { WeightEntry } from '../model/spec';
import { joinRowChunks } from '../engine/row-chunks';

/**
 * Makes the model's backward pass accumulate every weight's gradient and returns one optimizer group
 * per weight (named by its canonical name, lrMultiplier 1). The weights are updated in place.
 */
export function fullParameterGroups(model: Transformer<Allocator>): ParameterGroup[] {
  const grads = model.trackParameterGradients();
  return [...model.weights].map(([name, param]) => ({ name, param, grad: grads.get(name)!, size: param.size / 4, lrMultiplier: 1 }));
}

/**
 * What the optimizer trains: every weight (full), or each adapter's A and B, B at loraPlusRatio × the
 * learning rate (LoRA+). The job and the memory plan both build the optimizer from these.
 */
export function trainedParameterGroups(model: Transformer<Allocator>, method: Method, loraPlusRatio: number): ParameterGroup[] {
  return method === 'full' ? fullParameterGroups(model) : adapterParameterGroups(model.adapters, loraPlusRatio);
}

/** Each adapter's A and B, B at LoRA+'s learning-rate ratio. */
export function adapterParameterGroups(adapters: ReadonlyMap<string, AdapterBuffers>, loraPlusRatio: number): ParameterGroup[] {
  return [...adapters].flatMap(([name, a]) => [
    { name: `${name}.lora_A`, param: a.A, grad: a.dA, size: a.A.size / 4, lrMultiplier: 1 },
    { name: `${name}.lora_B`, param: a.B, grad: a.dB, size: a.B.size / 4, lrMultiplier: loraPlusRatio },
  ]);
}

/** [N + 1]: a step's per-row losses and the optimizer's skipped-step count, read back together (job.ts). */
export function stepProbe(gpu: Allocator, N: number): GPUBuffer {
  return gpu.createBuffer('train step losses and skipped steps', (N + 1) * 4);
}

/**
 * Every weight as it now stands, by canonical name, in the engine's layout ([out, in] linears); a
 * tensor split by rows (src/engine/row-chunks.ts) is read chunk by chunk and joined.
 */
export async function readModelWeights(model: Transformer): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, buffer] of model.weights) out.set(name, await model.gpu.readF32(buffer));
  return joinRowChunks(out);
}

/** Number of trainable values: every float of every weight. */
export function parameterCount(weights: ReadonlyMap<string, { length: number }>): number {
  let count = 0;
  for (const w of weights.values()) count += w.length;
  return count;
}

/** Seeded standard normal samples: the Box–Muller transform of Random's uniforms, both halves used. */
export class NormalSampler {
  private readonly uniform: Random;
  private spare: number | null = null;

  constructor(seed: number) {
    this.uniform = new Random(seed);
  }

  next(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform.next()));
    const angle = 2 * Math.PI * this.uniform.next();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** n samples of N(0, std²). */
  floats(n: number, std: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = std * this.next();
    return out;
  }
}

/**
 * A new model's weights as transformers' `_init_weights` makes them (modeling_llama.py,
 * modeling_gpt2.py's base rule): every linear and embedding weight ~ N(0, std²) with std the config's
 * initializer_range, every bias 0, every norm weight 1 and norm bias 0. Drawn in entry order from one
 * seeded sampler, so a seed gives the same model everywhere.
 */
export function initialWeights(entries: readonly WeightEntry[], std: number, seed: number): Map<string, Float32Array> {
  const normal = new NormalSampler(seed);
  const weights = new Map<string, Float32Array>();
  for (const entry of entries) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    const isNorm = /(^|\.)(norm1|norm2|final_norm)\./.test(entry.name);
    let data: Float32Array;
    if (entry.name.endsWith('.bias')) data = new Float32Array(size);
    else if (isNorm) data = new Float32Array(size).fill(1);
    else data = normal.floats(size, std);
    weights.set(entry.name, data);
  }
  return weights;
}
