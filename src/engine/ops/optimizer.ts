// Gradient clipping and AdamW, recorded into an encoder with every operand on the GPU — see
// shaders/optimizer.wgsl. What the CPU knows without a readback (learning rate, step number) goes in
// the uniform block; what only the GPU knows (the gradient norm) stays in the `scale` buffer.

import { grid1d } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/optimizer.wgsl?raw';

export const OPTIMIZER_SHADER: Shader = { name: 'shaders/optimizer.wgsl', code };

/** Floats of the `scale` buffer: [clip factor, global gradient norm, count of skipped steps]. */
export const SCALE_FLOATS = 3;

/** The largest finite f32: a max norm of Infinity (no clipping) is passed as this. */
const F32_MAX = 3.4028234663852886e38;

/**
 * scale[0] = min(1, maxNorm / (g + 1e-6)) and scale[1] = g, with g = √(Σ_{i<count} sumSquares[i])
 * the global gradient norm (torch.nn.utils.clip_grad_norm_). When g is not finite: scale[0] = 0 (the
 * next adamwStep skips), scale[1] = that NaN/Inf and scale[2] += 1. `scale` holds SCALE_FLOATS
 * floats, zero-initialised once; maxNorm = Infinity disables clipping.
 */
export function clipScale(enc: Encoder, scale: GPUBuffer, sumSquares: GPUBuffer, count: number, maxNorm: number): void {
  const op = 'clipScale';
  requireDims(op, { count });
  requireFloats(op, 'scale', scale, SCALE_FLOATS);
  requireFloats(op, 'sumSquares', sumSquares, count);
  if (!(maxNorm > 0)) throw new RangeError(`${op}: maxNorm must be positive, got ${maxNorm}`);
  const uniforms = packUniforms([
    ['u32', count],
    ['f32', Math.min(maxNorm, F32_MAX)],
  ]);
  enc.dispatch({ shader: OPTIMIZER_SHADER, entryPoint: 'clip_scale' }, [1, 1, 1], [scale, sumSquares], uniforms);
}

export interface AdamWSettings {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled: p ← p − lr·wd·p. docs/gora.md §7 trains with 0. */
  weightDecay?: number;
  /** The 1-based AdamW step t, for the bias corrections 1 − β^t. */
  step: number;
}

/** The uniform values of one AdamW step, shared with the CPU twin so both round them identically. */
export interface AdamWConstants {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** lr / (1 − β1^t) */
  stepSize: number;
  /** √(1 − β2^t) */
  bias2Sqrt: number;
}

/**
 * Validates the settings and derives the bias corrections in f64, then rounds every value to f32 as
 * the uniform block will (unless `toF32` is false: the f64 CPU reference keeps them exact).
 */
export function adamwConstants(settings: AdamWSettings, toF32 = true): AdamWConstants {
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, step } = settings;
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`adamwStep: step is 1-based, got ${step}`);
  if (!(Number.isFinite(lr) && lr >= 0)) throw new RangeError(`adamwStep: lr must be a finite number ≥ 0, got ${lr}`);
  for (const [name, beta] of [['beta1', beta1], ['beta2', beta2]] as const) {
    if (!(beta >= 0 && beta < 1)) throw new RangeError(`adamwStep: ${name} must be in [0, 1), got ${beta}`);
  }
  if (!(Number.isFinite(eps) && eps >= 0)) throw new RangeError(`adamwStep: eps must be a finite number ≥ 0, got ${eps}`);
  if (!(Number.isFinite(weightDecay) && weightDecay >= 0)) throw new RangeError(`adamwStep: weightDecay must be ≥ 0, got ${weightDecay}`);
  const f = toF32 ? Math.fround : (x: number) => x;
  return {
    lr: f(lr),
    beta1: f(beta1),
    beta2: f(beta2),
    eps: f(eps),
    weightDecay: f(weightDecay),
    stepSize: f(lr / (1 - beta1 ** step)),
    bias2Sqrt: f(Math.sqrt(1 - beta2 ** step)),
  };
}

/**
 * One AdamW step over n floats, PyTorch's torch.optim.AdamW semantics, with the gradient multiplied
 * by the clip factor scale[0] (written by clipScale; a step with scale[0] = 0 changes nothing):
 *   g = grad·c;  p ← p − lr·wd·p;  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
 *   p ← p − lr/(1−β1^t) · m / (√v / √(1−β2^t) + eps)
 * param, m, v: [n] (updated in place); grad: [n]; scale: [SCALE_FLOATS].
 */
export function adamwStep(
  enc: Encoder,
  param: GPUBuffer,
  grad: GPUBuffer,
  m: GPUBuffer,
  v: GPUBuffer,
  scale: GPUBuffer,
  n: number,
  settings: AdamWSettings,
): void {
  const op = 'adamwStep';
  requireDims(op, { n });
  requireFloats(op, 'param', param, n);
  requireFloats(op, 'grad', grad, n);
  requireFloats(op, 'm', m, n);
  requireFloats(op, 'v', v, n);
  requireFloats(op, 'scale', scale, SCALE_FLOATS);
  const k = adamwConstants(settings);
  const uniforms = packUniforms([
    ['u32', n],
    ['f32', k.lr],
    ['f32', k.beta1],
    ['f32', k.beta2],
    ['f32', k.eps],
    ['f32', k.weightDecay],
    ['f32', k.stepSize],
    ['f32', k.bias2Sqrt],
  ]);
  enc.dispatch({ shader: OPTIMIZER_SHADER, entryPoint: 'adamw' }, grid1d(n, 256), [param, m, v, grad, scale], uniforms);
}
