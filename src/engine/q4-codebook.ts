// The two 16-entry code books compared for q4 weights (docs/weights.md, "q4"): each maps a 4-bit code
// to a value in [-1, 1] that is multiplied by its block's absmax scale.

/** Φ(x), the standard normal CDF, through erfc (Numerical Recipes' Chebyshev fit, |rel err| < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + z / 2);
  const erfc =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Φ⁻¹(p) by bisection on Φ (monotone; 100 halvings of [-10, 10] reach double precision). */
export function normalQuantile(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * NF4, QLoRA's 4-bit NormalFloat (Dettmers et al. 2023, section 3, "4-bit NormalFloat
 * Quantization"): values at equally spaced quantiles of N(0, 1), normalised to [-1, 1]. A symmetric
 * set of 16 quantiles has no exact zero, so the paper builds the two halves separately: 8 positive
 * values from 9 quantiles between 1/2 and `offset` (dropping the one at 1/2, which is 0), 7 negative
 * values from 8 quantiles, and one 0. `offset` = the mean of 1 − 1/(2·15) and 1 − 1/(2·16) keeps the
 * extreme quantile finite. Ascending: code 0 is −1, code 7 is 0, code 15 is 1.
 */
export function nf4Codebook(): Float32Array {
  const offset = (1 - 1 / 30 + (1 - 1 / 32)) / 2;
  const spaced = (count: number) => Array.from({ length: count }, (_, i) => offset + ((0.5 - offset) * i) / (count - 1));
  const positive = spaced(9).slice(0, 8).map(normalQuantile);
  const negative = spaced(8).slice(0, 7).map((p) => -normalQuantile(p));
  const values = [...positive, 0, ...negative].sort((a, b) => a - b);
  const max = Math.max(...values.map(Math.abs));
  return Float32Array.from(values, (v) => v / max);
}

/**
 * Uniform symmetric int4: w ≈ (q − 8)/7 · absmax, q in 1..15 (15 levels with an exact 0). Code 0,
 * −8/7, lies outside [-1, 1] and is never chosen by nearest-value encoding of |w| ≤ absmax.
 */
export function int4Codebook(): Float32Array {
  return Float32Array.from({ length: 16 }, (_, q) => (q - 8) / 7);
}
