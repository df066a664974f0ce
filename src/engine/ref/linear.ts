// CPU twin of src/engine/linear.ts: y = x Wᵀ + b + s·(x Aᵀ) Bᵀ and its gradients (dbias [m] += Σ_rows dy).

import type { Floats } from './floats';
import { matmulRef } from './matmul';

export interface LinearRef {
  out: number; // m
  in: number; // n
  weight: Floats; // [m, n]
  bias: Floats | null; // [m]
}

export interface LoraRef {
  rank: number;
  scale: number;
  A: Floats; // [r, n]
  B: Floats; // [m, r]
  dA: Floats; // [r, n] +=
  dB: Floats; // [m, r] +=
}

export function linearForwardRef(y: Floats, x: Floats, layer: LinearRef, adapter: LoraRef | null, N: number): void {
  const { out: m, in: n } = layer;
  matmulRef(y, x, layer.weight, layer.bias, { M: N, N: m, K: n, transB: true });
  if (!adapter) return;
  const u = new Float64Array(N * adapter.rank);
  matmulRef(u, x, adapter.A, null, { M: N, N: adapter.rank, K: n, transB: true });
  matmulRef(y, u, adapter.B, null, { M: N, N: m, K: adapter.rank, transB: true, alpha: adapter.scale, accumulate: true });
}

export function linearBackwardRef(
  dx: Floats | null,
  dy: Floats,
  x: Floats,
  layer: LinearRef,
  adapter: LoraRef | null,
  dW: Floats | null,
  N: number,
  dbias: Floats | null = null,
): void {
  const { out: m, in: n } = layer;
  if (dx) matmulRef(dx, dy, layer.weight, null, { M: N, N: n, K: m, accumulate: true });
  if (dW) matmulRef(dW, dy, x, null, { M: m, N: n, K: N, transA: true, accumulate: true });
  if (dbias) for (let r = 0; r < N; r++) for (let j = 0; j < m; j++) dbias[j] += dy[r * m + j];
  if (!adapter) return;
  const { rank: r, scale: s } = adapter;
  const u = new Float64Array(N * r);
  matmulRef(u, x, adapter.A, null, { M: N, N: r, K: n, transB: true });
  const du = new Float64Array(N * r);
  matmulRef(adapter.dB, dy, u, null, { M: m, N: r, K: N, transA: true, alpha: s, accumulate: true });
  matmulRef(du, dy, adapter.B, null, { M: N, N: r, K: m, alpha: s });
  matmulRef(adapter.dA, du, x, null, { M: r, N: n, K: N, transA: true, accumulate: true });
  if (dx) matmulRef(dx, du, adapter.A, null, { M: N, N: n, K: r, accumulate: true });
}
