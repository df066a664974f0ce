// RMSNorm and LayerNorm over the channels of [N, C] rows (N = B·T) — see shaders/norm.wgsl.
// Forward saves the per-row statistics its backward needs; backward adds into its gradients.

import { grid1d } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/norm.wgsl?raw';

export const NORM_SHADER: Shader = { name: 'shaders/norm.wgsl', code };

function uniforms(N: number, C: number, eps: number): ArrayBuffer {
  return packUniforms([
    ['u32', N],
    ['u32', C],
    ['f32', eps],
  ]);
}

function checkEps(op: string, eps: number): void {
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new RangeError(`${op}: eps must be a finite number ≥ 0, got ${eps}`);
}

/** One workgroup per row. */
const rowGrid = (N: number) => grid1d(N, 1);

/**
 * out [N,C] = inp · rstd · weight, with rstd [N] = 1/sqrt(mean(inp²) + eps) saved for backward.
 * inp [N,C], weight [C].
 */
export function rmsnormForward(
  enc: Encoder,
  out: GPUBuffer,
  rstd: GPUBuffer,
  inp: GPUBuffer,
  weight: GPUBuffer,
  N: number,
  C: number,
  eps: number,
): void {
  const op = 'rmsnormForward';
  requireDims(op, { N, C });
  checkEps(op, eps);
  requireFloats(op, 'out', out, N * C);
  requireFloats(op, 'rstd', rstd, N);
  requireFloats(op, 'inp', inp, N * C);
  requireFloats(op, 'weight', weight, C);
  enc.dispatch({ shader: NORM_SHADER, entryPoint: 'rmsnorm_forward' }, rowGrid(N), [out, rstd, inp, weight], uniforms(N, C, eps));
}

/**
 * dinp [N,C] += ∂L/∂inp and dweight [C] += ∂L/∂weight (skipped when null), from dout [N,C],
 * inp [N,C], weight [C] and the forward's rstd [N].
 */
export function rmsnormBackward(
  enc: Encoder,
  dinp: GPUBuffer,
  dweight: GPUBuffer | null,
  dout: GPUBuffer,
  inp: GPUBuffer,
  weight: GPUBuffer,
  rstd: GPUBuffer,
  N: number,
  C: number,
): void {
  const op = 'rmsnormBackward';
  requireDims(op, { N, C });
  requireFloats(op, 'dinp', dinp, N * C);
  if (dweight) requireFloats(op, 'dweight', dweight, C);
  requireFloats(op, 'dout', dout, N * C);
  requireFloats(op, 'inp', inp, N * C);
  requireFloats(op, 'weight', weight, C);
  requireFloats(op, 'rstd', rstd, N);
  const u = uniforms(N, C, 0);
  enc.dispatch({ shader: NORM_SHADER, entryPoint: 'rmsnorm_backward' }, rowGrid(N), [dinp, dout, inp, weight, rstd], u);
  if (dweight) {
    // The RMS variant never reads `mean`: rstd stands in for it, because the placeholder is already
    // bound writable (as dbias) and one dispatch may not bind a buffer both writable and read-only.
    const kernel = { shader: NORM_SHADER, entryPoint: 'norm_dparams', constants: { RMS: true, HAS_DWEIGHT: true, HAS_DBIAS: false } };
    enc.dispatch(kernel, grid1d(C, 32), [dweight, enc.gpu.unused, dout, inp, rstd, rstd], u);
  }
}

/**
 * PyTorch's LayerNorm (biased variance): out [N,C] = (inp − mean) · rstd · weight + bias, saving
 * mean [N] and rstd [N] = 1/sqrt(var + eps) for backward. inp [N,C], weight [C], bias [C].
 */
export function layernormForward(
  enc: Encoder,
  out: GPUBuffer,
  mean: GPUBuffer,
  rstd: GPUBuffer,
  inp: GPUBuffer,
  weight: GPUBuffer,
  bias: GPUBuffer,
  N: number,
  C: number,
  eps: number,
): void {
  const op = 'layernormForward';
  requireDims(op, { N, C });
  checkEps(op, eps);
  requireFloats(op, 'out', out, N * C);
  requireFloats(op, 'mean', mean, N);
  requireFloats(op, 'rstd', rstd, N);
  requireFloats(op, 'inp', inp, N * C);
  requireFloats(op, 'weight', weight, C);
  requireFloats(op, 'bias', bias, C);
  const kernel = { shader: NORM_SHADER, entryPoint: 'layernorm_forward' };
  enc.dispatch(kernel, rowGrid(N), [out, mean, rstd, inp, weight, bias], uniforms(N, C, eps));
}

/**
 * dinp [N,C] +=, dweight [C] +=, dbias [C] += (each gradient skipped when null), from dout [N,C],
 * inp [N,C], weight [C] and the forward's mean [N] and rstd [N].
 */
export function layernormBackward(
  enc: Encoder,
  dinp: GPUBuffer,
  dweight: GPUBuffer | null,
  dbias: GPUBuffer | null,
  dout: GPUBuffer,
  inp: GPUBuffer,
  weight: GPUBuffer,
  mean: GPUBuffer,
  rstd: GPUBuffer,
  N: number,
  C: number,
): void {
  const op = 'layernormBackward';
  requireDims(op, { N, C });
  requireFloats(op, 'dinp', dinp, N * C);
  if (dweight) requireFloats(op, 'dweight', dweight, C);
  if (dbias) requireFloats(op, 'dbias', dbias, C);
  requireFloats(op, 'dout', dout, N * C);
  requireFloats(op, 'inp', inp, N * C);
  requireFloats(op, 'weight', weight, C);
  requireFloats(op, 'mean', mean, N);
  requireFloats(op, 'rstd', rstd, N);
  const u = uniforms(N, C, 0);
  const kernel = { shader: NORM_SHADER, entryPoint: 'layernorm_backward' };
  enc.dispatch(kernel, rowGrid(N), [dinp, dout, inp, weight, mean, rstd], u);
  if (dweight || dbias) {
    const unused = enc.gpu.unused;
    const constants = { RMS: false, HAS_DWEIGHT: dweight !== null, HAS_DBIAS: dbias !== null };
    const storage = [dweight ?? unused, dbias ?? unused, dout, inp, mean, rstd];
    enc.dispatch({ shader: NORM_SHADER, entryPoint: 'norm_dparams', constants }, grid1d(C, 32), storage, u);
  }
}
