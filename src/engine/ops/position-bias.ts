// T5's relative position bias — see shaders/position-bias.wgsl.

import { grid1d } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/position-bias.wgsl?raw';

export const POSITION_BIAS_SHADER: Shader = { name: 'shaders/position-bias.wgsl', code };

export interface PositionBiasShape {
  H: number;
  Tq: number;
  Tk: number;
  /** Rows of the table. */
  buckets: number;
}

function uniformsOf(op: string, s: PositionBiasShape, pairBuckets: GPUBuffer): ArrayBuffer {
  requireDims(op, { ...s });
  if (pairBuckets.size < s.Tq * s.Tk * 4) throw new RangeError(`${op}: the bucket table ("${pairBuckets.label}") holds ${pairBuckets.size / 4} pairs but the shape needs ${s.Tq * s.Tk}`);
  return packUniforms([
    ['u32', s.H],
    ['u32', s.Tq],
    ['u32', s.Tk],
    ['u32', s.buckets],
  ]);
}

// bias: [H, Tq, Tk]; table: [buckets, H]; pairBuckets: [Tq, Tk] u32, each below `buckets`
export function positionBiasForward(enc: Encoder, bias: GPUBuffer, table: GPUBuffer, pairBuckets: GPUBuffer, s: PositionBiasShape): void {
  const uniforms = uniformsOf('positionBiasForward', s, pairBuckets);
  requireFloats('positionBiasForward', 'bias', bias, s.H * s.Tq * s.Tk);
  requireFloats('positionBiasForward', 'table', table, s.buckets * s.H);
  enc.dispatch({ shader: POSITION_BIAS_SHADER, entryPoint: 'position_bias_forward' }, grid1d(s.H * s.Tq * s.Tk, 64), [bias, table, pairBuckets], uniforms);
}

// dtable: [buckets, H] +=; dbias: [H, Tq, Tk]
export function positionBiasBackward(enc: Encoder, dtable: GPUBuffer, dbias: GPUBuffer, pairBuckets: GPUBuffer, s: PositionBiasShape): void {
  const uniforms = uniformsOf('positionBiasBackward', s, pairBuckets);
  requireFloats('positionBiasBackward', 'dtable', dtable, s.buckets * s.H);
  requireFloats('positionBiasBackward', 'dbias', dbias, s.H * s.Tq * s.Tk);
  enc.dispatch({ shader: POSITION_BIAS_SHADER, entryPoint: 'position_bias_backward' }, grid1d(s.buckets * s.H, 64), [dtable, dbias, pairBuckets], uniforms);
}
