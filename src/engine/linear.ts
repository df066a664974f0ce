// A linear layer with an optional LoRA adapter (docs/gora.md §1 notation: W [m, n], A [r, n], B [m, r]):
//   y = x Wᵀ + b + s · (x Aᵀ) Bᵀ
// Backward adds into dx and into the adapter's dA, dB, and, when asked, into the weight's gradient
// dW = dyᵀ x (GoRA's gradient scan, full training) and the bias's gradient db = Σ_rows dy (full
// training).

import type { Encoder } from '../gpu/encoder';
import { matmul } from './ops/matmul';
import type { PackedWeight } from './weight-format';

export interface LinearWeights {
  /** Canonical prefix, e.g. `layers.0.attn.q`. */
  name: string;
  out: number; // m
  in: number; // n
  weight: GPUBuffer | PackedWeight; // [m, n], f32 or a stored format read in place
  bias: GPUBuffer | null; // [m]
}

export interface LoraAdapter {
  rank: number; // r
  scale: number; // s
  A: GPUBuffer; // [r, n]
  B: GPUBuffer; // [m, r]
  dA: GPUBuffer; // [r, n] +=
  dB: GPUBuffer; // [m, r] +=
  u: GPUBuffer; // [N, r]  x·Aᵀ, saved by forward for backward
  du: GPUBuffer; // [N, r]  scratch of backward
}

// y: [N, m], x: [N, n]
export function linearForward(enc: Encoder, y: GPUBuffer, x: GPUBuffer, layer: LinearWeights, adapter: LoraAdapter | null, N: number): void {
  const { out: m, in: n } = layer;
  if (!adapter) {
    matmul(enc, y, x, layer.weight, layer.bias, { M: N, N: m, K: n, transB: true });
    return;
  }
  const r = adapter.rank;
  matmul(enc, adapter.u, x, adapter.A, null, { M: N, N: r, K: n, transB: true });
  // y = x Wᵀ + b + s·u Bᵀ, the low-rank term added in the same pass (one write of y).
  matmul(enc, y, x, layer.weight, layer.bias, { M: N, N: m, K: n, transB: true }, { a: adapter.u, b: adapter.B, K: r, alpha: adapter.scale });
}

/** The bias gradient db [m] += onesᵀ·dy, a column sum done as a matmul so no float atomics are needed. */
export interface BiasGradient {
  dbias: GPUBuffer; // [m] +=
  ones: GPUBuffer; // [N] of 1
}

// dx: [N, n] +=, dy: [N, m], x: [N, n] (the forward input), dW: [m, n] += (or null), bias: db (or null)
export function linearBackward(
  enc: Encoder,
  dx: GPUBuffer | null,
  dy: GPUBuffer,
  x: GPUBuffer,
  layer: LinearWeights,
  adapter: LoraAdapter | null,
  dW: GPUBuffer | null,
  N: number,
  bias: BiasGradient | null = null,
): void {
  const { out: m, in: n } = layer;
  if (dW) matmul(enc, dW, dy, x, null, { M: m, N: n, K: N, transA: true, accumulate: true });
  if (bias) matmul(enc, bias.dbias, bias.ones, dy, null, { M: 1, N: m, K: N, accumulate: true });
  if (!adapter) {
    if (dx) matmul(enc, dx, dy, layer.weight, null, { M: N, N: n, K: m, accumulate: true });
    return;
  }
  const { rank: r, scale: s } = adapter;
  matmul(enc, adapter.dB, dy, adapter.u, null, { M: m, N: r, K: N, transA: true, alpha: s, accumulate: true }); // dB += s·dyᵀu
  matmul(enc, adapter.du, dy, adapter.B, null, { M: N, N: r, K: m, alpha: s }); // du = s·dy·B
  matmul(enc, adapter.dA, adapter.du, x, null, { M: r, N: n, K: N, transA: true, accumulate: true }); // dA += duᵀx
  // dx += dy·W + du·A in one pass.
  if (dx) matmul(enc, dx, dy, layer.weight, null, { M: N, N: n, K: m, accumulate: true }, { a: adapter.du, b: adapter.A, K: r, alpha: 1 });
}
