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

/** Invocations per workgroup of the `_serial` entry points. */
const SERIAL_WG = 64;

/**
 * `entryPoint` over n items (rows, or channels for norm_dparams) in the device's variant: the
 * parallel kernel with `perGroup` items per workgroup, or its `_serial` twin with one invocation
 * per item (see shaders/norm.wgsl and Gpu.kernelVariant).
 */
function variant(enc: Encoder, entryPoint: string, n: number, perGroup: number) {
  return enc.gpu.kernelVariant === 'serial'
    ? { entryPoint: `${entryPoint}_serial`, grid: grid1d(n, SERIAL_WG) }
    : { entryPoint, grid: grid1d(n, perGroup) };
}

/** A row kernel: one workgroup per row in parallel. */
const rowKernel = (enc: Encoder, entryPoint: string, N: number) => variant(enc, entryPoint, N, 1);
/** The weight and bias gradients: 32 channels per workgroup in parallel. */
const dparamsKernel = (enc: Encoder, C: number) => variant(enc, 'norm_dparams', C, 32);

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
  const { entryPoint, grid } = rowKernel(enc, 'rmsnorm_forward', N);
  enc.dispatch({ shader: NORM_SHADER, entryPoint }, grid, [out, rstd, inp, weight], uniforms(N, C, eps));
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
  const row = rowKernel(enc, 'rmsnorm_backward', N);
  enc.dispatch({ shader: NORM_SHADER, entryPoint: row.entryPoint }, row.grid, [dinp, dout, inp, weight, rstd], u);
  if (dweight) {
    // The RMS variant never reads `mean`: rstd stands in for it, because `gpu.unused` is already
    // bound writable (as dbias) and one dispatch may not bind a buffer both writable and read-only.
    const { entryPoint, grid } = dparamsKernel(enc, C);
    const kernel = { shader: NORM_SHADER, entryPoint, constants: { RMS: true, HAS_DWEIGHT: true, HAS_DBIAS: false } };
    enc.dispatch(kernel, grid, [dweight, enc.gpu.unused, dout, inp, rstd, rstd], u);
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
  const { entryPoint, grid } = rowKernel(enc, 'layernorm_forward', N);
  enc.dispatch({ shader: NORM_SHADER, entryPoint }, grid, [out, mean, rstd, inp, weight, bias], uniforms(N, C, eps));
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
  const row = rowKernel(enc, 'layernorm_backward', N);
  enc.dispatch({ shader: NORM_SHADER, entryPoint: row.entryPoint }, row.grid, [dinp, dout, inp, weight, mean, rstd], u);
  if (dweight || dbias) {
    const unused = enc.gpu.unused;
    const constants = { RMS: false, HAS_DWEIGHT: dweight !== null, HAS_DBIAS: dbias !== null };
    const storage = [dweight ?? unused, dbias ?? unused, dout, inp, mean, rstd];
    const { entryPoint, grid } = dparamsKernel(enc, C);
    enc.dispatch({ shader: NORM_SHADER, entryPoint, constants }, grid, storage, u);
  }
}
