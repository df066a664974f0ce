// The initial adapters of the SVD-based baselines (docs/gora.md §9), from singular triplets
// (src/gora/svd.ts), on the CPU. Both move s·B₀A₀ out of W (W ← W − s·B₀A₀, src/train/initialise.ts),
// so the model's output at step 0 is the base model's.

import type { Svd } from '../engine/ref/svd';

/** LoRA-GA's "stable" scale constant γ (the reference implementation's default stable_gamma). */
export const LORA_GA_STABLE_GAMMA = 16;

export interface Factors {
  A: Float32Array; // [r, n]
  B: Float32Array; // [m, r]
}

/**
 * LoRA-GA (Wang et al. 2024, arXiv 2407.05000), direction "ArB2r" and scale "stable": with the scan
 * gradient G [m, n] = U S Vᵀ,
 *     A₀ = (m^¼ / √γ) · V[:, :r]ᵀ,    B₀ = (m^¼ / √γ) · U[:, r:2r],    γ = 16,
 * m = out features — the formula of the paper's §3.3 (scale stability: the adapter's output
 * keeps a size independent of the width as m grows) as its reference code writes it
 * (A = A·m**0.25/stable_gamma**0.5, B likewise). `svd` must hold at least 2r triplets.
 */
export function loraGaFactors(svd: Svd, m: number, n: number, r: number, stableGamma = LORA_GA_STABLE_GAMMA): Factors {
  if (svd.k < 2 * r) throw new RangeError(`LoRA-GA at rank ${r} needs the top ${2 * r} singular vectors of a [${m}, ${n}] gradient, and it has ${Math.min(m, n)}: lower the rank (r_ref) to at most ${Math.floor(Math.min(m, n) / 2)}`);
  const c = m ** 0.25 / Math.sqrt(stableGamma);
  const A = new Float32Array(r * n);
  const B = new Float32Array(m * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < n; j++) A[i * n + j] = c * svd.V[j * svd.k + i];
  for (let i = 0; i < m; i++) for (let j = 0; j < r; j++) B[i * r + j] = c * svd.U[i * svd.k + r + j];
  return { A, B };
}

/**
 * PiSSA (Meng et al. 2024, arXiv 2404.02948): with W [m, n] = U S Vᵀ and scale s,
 *     A₀ = diag(√(S_r / s)) · V_rᵀ,    B₀ = U_r · diag(√(S_r / s)),
 * so s·B₀A₀ = U_r S_r V_rᵀ, W's principal part (PEFT divides S_r by s before the square root, the same).
 */
export function pissaFactors(svd: Svd, m: number, n: number, r: number, scale: number): Factors {
  if (svd.k < r) throw new RangeError(`PiSSA at rank ${r} needs the top ${r} singular vectors of a [${m}, ${n}] weight, and it has ${Math.min(m, n)}: lower the rank (r_ref) to at most ${Math.min(m, n)}`);
  const A = new Float32Array(r * n);
  const B = new Float32Array(m * r);
  for (let i = 0; i < r; i++) {
    const root = Math.sqrt(svd.S[i] / scale);
    for (let j = 0; j < n; j++) A[i * n + j] = root * svd.V[j * svd.k + i];
    for (let j = 0; j < m; j++) B[j * r + i] = root * svd.U[j * svd.k + i];
  }
  return { A, B };
}
