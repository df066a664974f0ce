// CPU twins of shaders/optimizer.wgsl, same semantics (f64 arithmetic, stored at the arrays' precision).
// With Float32Array operands the uniform values are rounded to f32 as the GPU receives them; with
// Float64Array they stay exact, so a hand-computed step can be checked to f64 rounding.

import { adamwConstants, type AdamWSettings } from '../ops/optimizer';
import type { Floats } from './floats';

/**
 * scale[0] = min(1, maxNorm / (g + 1e-6)), scale[1] = g = √(Σ_{i<count} sumSquares[i]); when g is
 * not finite: scale[0] = 0, scale[1] = the NaN/Inf sum, scale[2] += 1 (the step is skipped).
 */
export function clipScaleRef(scale: Floats, sumSquares: ArrayLike<number>, count: number, maxNorm: number): void {
  let total = 0;
  for (let i = 0; i < count; i++) total += sumSquares[i];
  if (Number.isFinite(total)) {
    const norm = Math.sqrt(total);
    scale[0] = Math.min(1, maxNorm / (norm + 1e-6));
    scale[1] = norm;
  } else {
    scale[0] = 0;
    scale[1] = total;
    scale[2] += 1;
  }
}

/** One AdamW step (torch.optim.AdamW order of operations) on n floats; nothing changes if scale[0] = 0. */
export function adamwStepRef(
  param: Floats,
  grad: ArrayLike<number>,
  m: Floats,
  v: Floats,
  scale: ArrayLike<number>,
  n: number,
  settings: AdamWSettings,
): void {
  const k = adamwConstants(settings, param instanceof Float32Array);
  const c = scale[0];
  if (c === 0) return;
  for (let i = 0; i < n; i++) {
    const g = grad[i] * c;
    const p = param[i] - k.lr * k.weightDecay * param[i];
    m[i] = k.beta1 * m[i] + (1 - k.beta1) * g;
    v[i] = k.beta2 * v[i] + (1 - k.beta2) * g * g;
    param[i] = p - k.stepSize * (m[i] / (Math.sqrt(v[i]) / k.bias2Sqrt + k.eps));
  }
}
