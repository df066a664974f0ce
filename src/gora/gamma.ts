// GoRA's adaptive γ (docs/gora.md §6): try γ ∈ {1, 0.8, 0.8², …, 1e-5},
// keep the one with the lowest loss on the first training batch if it beats the base model's loss
// there, else γ = 0 (B₀ = 0). B₀ is linear in γ (B₀ = −ξ·G A₀ᵀ(A₀A₀ᵀ + εI)⁻¹ with ξ = γ√n/α), so
// each candidate is B₀(1) scaled: one forward pass per candidate, no new solve.

export const GAMMA_RATIO = 0.8;
export const GAMMA_FLOOR = 1e-5;

/** 1, 0.8, 0.8², … down to the last power ≥ 1e-5, then 1e-5 itself (the list's last element). */
export function gammaCandidates(): number[] {
  const out: number[] = [];
  for (let g = 1; g > GAMMA_FLOOR; g *= GAMMA_RATIO) out.push(g);
  out.push(GAMMA_FLOOR);
  return out;
}

export interface GammaSearch {
  /** The γ chosen: the best candidate, or 0 when none beats the base loss. */
  gamma: number;
  baseLoss: number;
  /** Each candidate's loss on the batch, in the order tried. */
  tried: Array<{ gamma: number; loss: number }>;
}

/**
 * Runs the search with `lossAt(γ)`, the loss of the first training batch with the initial adapters
 * at γ. A non-finite loss never wins (a too-large γ may overflow).
 */
export async function searchGamma(baseLoss: number, lossAt: (gamma: number) => Promise<number>, candidates = gammaCandidates()): Promise<GammaSearch> {
  if (!Number.isFinite(baseLoss)) throw new RangeError(`the adaptive γ search needs a finite base loss, got ${baseLoss}`);
  const tried: GammaSearch['tried'] = [];
  let best = { gamma: 0, loss: baseLoss };
  for (const gamma of candidates) {
    const loss = await lossAt(gamma);
    tried.push({ gamma, loss });
    if (Number.isFinite(loss) && loss < best.loss) best = { gamma, loss };
  }
  return { gamma: best.gamma, baseLoss, tried };
}
