// Causal grouped-query attention — see shaders/attention.wgsl.

import { grid1d } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/attention.wgsl?raw';
import serialCode from '../../../shaders/attention-serial.wgsl?raw';

export const ATTENTION_SHADER: Shader = { name: 'shaders/attention.wgsl', code };
export const ATTENTION_SERIAL_SHADER: Shader = { name: 'shaders/attention-serial.wgsl', code: serialCode };

export interface AttentionShape {
  B: number;
  T: number;
  Hq: number;
  Hkv: number;
  D: number;
}

const MAX_HEAD_DIM = 256;

function checkShape(op: string, s: AttentionShape): ArrayBuffer {
  requireDims(op, { ...s });
  if (s.Hq % s.Hkv !== 0) throw new RangeError(`${op}: ${s.Hq} query heads are not a multiple of ${s.Hkv} key/value heads`);
  if (s.D > MAX_HEAD_DIM) throw new RangeError(`${op}: head dimension ${s.D} is above the supported ${MAX_HEAD_DIM}`);
  if (s.T > 65535 || s.B * Math.max(s.Hq, s.Hkv) > 65535) throw new RangeError(`${op}: sequence length or batch × heads above 65535`);
  return packUniforms([
    ['u32', s.B],
    ['u32', s.T],
    ['u32', s.Hq],
    ['u32', s.Hkv],
    ['u32', s.D],
    ['f32', 1 / Math.sqrt(s.D)],
  ]);
}

/**
 * A kernel over `heads` × T rows in the device's variant (Gpu.kernelVariant): `parallel` runs one
 * workgroup per row on a (T, heads) grid; `serial`, its twin in attention-serial.wgsl, one
 * invocation per eight rows, 64 per workgroup, on a 1-D grid folded into y.
 */
function rowKernel(enc: Encoder, entryPoint: string, T: number, heads: number) {
  if (enc.gpu.kernelVariant === 'serial') {
    return { kernel: { shader: ATTENTION_SERIAL_SHADER, entryPoint: `${entryPoint}_serial` }, grid: grid1d(heads * Math.ceil(T / 8), 64) };
  }
  return { kernel: { shader: ATTENTION_SHADER, entryPoint }, grid: [T, heads, 1] as [number, number, number] };
}

// out: [B,T,Hq,D], lse: [B,Hq,T] (saved for backward), q: [B,T,Hq,D], k, v: [B,T,Hkv,D]
export function attentionForward(enc: Encoder, out: GPUBuffer, lse: GPUBuffer, q: GPUBuffer, k: GPUBuffer, v: GPUBuffer, s: AttentionShape): void {
  const uniforms = checkShape('attentionForward', s);
  const { B, T, Hq, Hkv, D } = s;
  requireFloats('attentionForward', 'out', out, B * T * Hq * D);
  requireFloats('attentionForward', 'lse', lse, B * Hq * T);
  requireFloats('attentionForward', 'q', q, B * T * Hq * D);
  requireFloats('attentionForward', 'k', k, B * T * Hkv * D);
  requireFloats('attentionForward', 'v', v, B * T * Hkv * D);
  const { kernel, grid } = rowKernel(enc, 'attention_forward', T, B * Hq);
  enc.dispatch(kernel, grid, [out, lse, q, k, v], uniforms);
}

/**
 * dq: [B,T,Hq,D] +=, dk, dv: [B,T,Hkv,D] +=; delta: [B,Hq,T] scratch; dout, out, q: [B,T,Hq,D];
 * k, v: [B,T,Hkv,D]; lse: [B,Hq,T] from the forward pass.
 */
export function attentionBackward(
  enc: Encoder,
  dq: GPUBuffer,
  dk: GPUBuffer,
  dv: GPUBuffer,
  delta: GPUBuffer,
  dout: GPUBuffer,
  q: GPUBuffer,
  k: GPUBuffer,
  v: GPUBuffer,
  out: GPUBuffer,
  lse: GPUBuffer,
  s: AttentionShape,
): void {
  const uniforms = checkShape('attentionBackward', s);
  const { B, T, Hq, Hkv, D } = s;
  for (const [name, buffer] of [['dq', dq], ['dout', dout], ['q', q], ['out', out]] as const) requireFloats('attentionBackward', name, buffer, B * T * Hq * D);
  for (const [name, buffer] of [['dk', dk], ['dv', dv], ['k', k], ['v', v]] as const) requireFloats('attentionBackward', name, buffer, B * T * Hkv * D);
  requireFloats('attentionBackward', 'delta', delta, B * Hq * T);
  requireFloats('attentionBackward', 'lse', lse, B * Hq * T);
  // delta is one invocation per row already, so both variants share it.
  enc.dispatch({ shader: ATTENTION_SHADER, entryPoint: 'attention_backward_delta' }, grid1d(B * Hq * T, 64), [delta, dout, out], uniforms);
  const rowsQ = rowKernel(enc, 'attention_backward_dq', T, B * Hq);
  enc.dispatch(rowsQ.kernel, rowsQ.grid, [dq, dout, q, k, v, lse, delta], uniforms);
  const rowsKV = rowKernel(enc, 'attention_backward_dkv', T, B * Hkv);
  enc.dispatch(rowsKV.kernel, rowsKV.grid, [dk, dv, dout, q, k, v, lse, delta], uniforms);
}
