// GoRA Phase 4 (docs/gora.md §5), the CPU side: A₀ and the small r×r solve that turns G·A₀ᵀ into B₀.
//   A₀ ~ U(−1/√n, 1/√n)                                (Kaiming-uniform with a = √5, as nn.Linear)
//   B₀ = −ξ · G A₀ᵀ (A₀ A₀ᵀ + εI)⁻¹,   ξ = γ · √n / α,   ε = 1e-8
// so that s·B₀A₀ = −γ·√(n/r)·G·P_A with s = α/√r: one compressed gradient step of size γ.

import type { Random } from '../engine/random';

export const INIT_EPSILON = 1e-8;

/** A [r, n] drawn as nn.Linear's default init (bound 1/√n); also plain LoRA's A. */
export function kaimingUniform(rng: Random, r: number, n: number): Float32Array {
  const bound = 1 / Math.sqrt(n);
  return rng.floats(r * n, -bound, bound);
}

/** LoRA scale: α/√r for GoRA (rank-stabilised), α/r for plain LoRA. */
export function loraScale(alpha: number, rank: number, rsLora: boolean): number {
  return rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
}

/**
 * B₀ [m, r] from GA = G·A₀ᵀ [m, r] (computed on the GPU) and A₀ [r, n], in f64:
 * each row b of B₀ solves (A₀A₀ᵀ + εI) bᵀ = −ξ · gaᵀ (the matrix is symmetric positive definite).
 */
export function goraB0(GA: ArrayLike<number>, A0: ArrayLike<number>, m: number, n: number, r: number, gamma: number, alpha: number): Float32Array {
  const gram = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j <= i; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += A0[i * n + k] * A0[j * n + k];
      gram[i * r + j] = gram[j * r + i] = dot;
    }
    gram[i * r + i] += INIT_EPSILON;
  }
  const L = cholesky(gram, r);
  const xi = (gamma * Math.sqrt(n)) / alpha;
  const B0 = new Float32Array(m * r);
  const row = new Float64Array(r);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < r; j++) row[j] = -xi * GA[i * r + j];
    choleskySolve(L, r, row);
    for (let j = 0; j < r; j++) B0[i * r + j] = row[j];
  }
  return B0;
}

/** Lower-triangular L with M = L·Lᵀ. */
function cholesky(M: Float64Array, r: number): Float64Array {
  const L = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = M[i * r + j];
      for (let k = 0; k < j; k++) sum -= L[i * r + k] * L[j * r + k];
      if (i === j) {
        if (!(sum > 0)) throw new RangeError('A₀A₀ᵀ is not positive definite: the rank exceeds the layer input size');
        L[i * r + i] = Math.sqrt(sum);
      } else L[i * r + j] = sum / L[j * r + j];
    }
  }
  return L;
}

/** Solves L·Lᵀ·x = b in place. */
function choleskySolve(L: Float64Array, r: number, b: Float64Array): void {
  for (let i = 0; i < r; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= L[i * r + k] * b[k];
    b[i] = sum / L[i * r + i];
  }
  for (let i = r - 1; i >= 0; i--) {
    let sum = b[i];
    for (let k = i + 1; k < r; k++) sum -= L[k * r + i] * b[k];
    b[i] = sum / L[i * r + i];
  }
}
