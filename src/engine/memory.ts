// GPU memory a run will need, estimated from the model's shape and the batch before anything is
// allocated, so a run that cannot fit is refused with numbers instead of failing half way.
// Counts f32 buffers as TransformerBuffers, the adapters, the scan and the optimizer allocate them.

import type { ModelSpec } from '../model/spec';
import { blockLinears } from './architecture';
import type { Method } from '../train/config';

export interface MemoryEstimate {
  weights: number;
  activations: number;
  /**
   * Σ ∂L/∂W of the target layers on the GPU at once during the scan of GoRA or LoRA-GA (freed before
   * training): all of them, or with scanPasses > 1 the largest group of layers (src/gora/scan.ts).
   */
  scanGradients: number;
  /** Trainable parameters, their gradients and two AdamW moments. */
  training: number;
  /** The most alive at once: weights + activations + max(scan, training). */
  peak: number;
}

/**
 * bindingLimit: the GPU's storage-binding limit in bytes (Gpu.bindingLimitBytes). Splitting a larger
 * vocabulary table into row chunks (row-chunks.ts) moves its bytes without adding any, but the split
 * LM head needs a scratch of (token rows) × (rows per chunk) logits (vocab-chunks.ts), and logits
 * above the limit a scratch for one pass of R token rows (lm-head.ts).
 */
export function estimateMemory(
  spec: ModelSpec,
  B: number,
  T: number,
  trainable: { method: Method; rank: number; scanPasses?: number },
  bindingLimit = Infinity,
): MemoryEstimate {
  const { hiddenSize: C, heads: Hq, kvHeads: Hkv, headDim: D, intermediateSize: F, vocabSize: V, layers: L } = spec;
  const N = B * T;
  const linears = blockLinears(spec);
  const linearWeights = L * linears.reduce((sum, l) => sum + l.out * l.in + (l.bias ? l.out : 0), 0);
  const norms = (2 * L + 1) * C * (spec.norm === 'layer' ? 2 : 1);
  const embeddings = V * C + (spec.rope ? 0 : spec.maxPositions * C) + (spec.tiedEmbeddings ? 0 : V * C);
  const weights = linearWeights + norms + embeddings;

  const normSaved = N * (spec.norm === 'layer' ? 2 : 1);
  const perLayer = 4 * N * C + 2 * normSaved + N * (2 * Hq * D + 2 * Hkv * D) + B * Hq * T + N * F * (spec.mlp === 'swiglu' ? 3 : 2);
  const shared = 2 * N + (L + 1) * N * C + N * C * 2 + normSaved + N * V + N + (spec.architecture === 'gpt2' ? 3 * N * C : 0);
  const backward = 2 * N * C + 2 * N * Hq * D + 2 * N * Hkv * D + B * Hq * T + 3 * N * F;
  const R = Math.min(N, Math.max(1, Math.floor(bindingLimit / (V * 4))));
  const passScratch = R < N ? R * (2 * C + V + 2) : 0;
  const headScratch = V * C * 4 > bindingLimit ? R * Math.min(V, Math.max(1, Math.floor(bindingLimit / (C * 4)))) : 0;
  const activations = L * perLayer + shared + backward + headScratch + passScratch;

  const targetWeights = L * linears.reduce((sum, l) => sum + l.out * l.in, 0);
  const adapterParameters = L * linears.reduce((sum, l) => sum + trainable.rank * (l.out + l.in), 0);
  // GoRA's ranks may reach r_max on some layers; 2× r_ref bounds the total in practice.
  const parameters = trainable.method === 'full' ? weights : trainable.method === 'gora' ? 2 * adapterParameters : adapterParameters;
  // Parameters' gradients and two moments (the parameters of full training are the weights already counted).
  const training = (trainable.method === 'full' ? 3 : 4) * parameters + (trainable.method === 'full' ? 0 : 2 * N * trainable.rank * L * linears.length);
  const passes = Math.min(L, trainable.scanPasses ?? 1);
  // Groups of consecutive layers; past one pass, one offloaded gradient comes back at a time.
  const reloaded = passes > 1 ? Math.max(...linears.map((l) => l.out * l.in)) : 0;
  // GoRA and LoRA-GA keep every target's G during the scan.
  const scans = trainable.method === 'gora' || trainable.method === 'lora-ga';
  const scanGradients = scans ? (targetWeights * Math.ceil(L / passes)) / L + reloaded : 0;
  const bytes = (floats: number) => floats * 4;
  return {
    weights: bytes(weights),
    activations: bytes(activations),
    scanGradients: bytes(scanGradients),
    training: bytes(training),
    peak: bytes(weights + activations + Math.max(scanGradients, training)),
  };
}

/** 1536 → "1.5 KiB": binary units, one decimal. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
