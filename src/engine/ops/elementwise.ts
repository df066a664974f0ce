// Elementwise kernels over n floats — see shaders/elementwise.wgsl.

import { grid1d } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/elementwise.wgsl?raw';

export const ELEMENTWISE_SHADER: Shader = { name: 'shaders/elementwise.wgsl', code };

function elementwise(enc: Encoder, entryPoint: string, n: number, alpha: number, buffers: GPUBuffer[]): void {
  requireDims(entryPoint, { n });
  buffers.forEach((buffer, i) => requireFloats(entryPoint, i === 0 ? 'out' : `input ${i}`, buffer, n));
  const uniforms = packUniforms([
    ['u32', n],
    ['f32', alpha],
  ]);
  enc.dispatch({ shader: ELEMENTWISE_SHADER, entryPoint }, grid1d(n, 256), buffers, uniforms);
}

/** out = x + y   (out, x, y: [n]) */
export function add(enc: Encoder, out: GPUBuffer, x: GPUBuffer, y: GPUBuffer, n: number): void {
  elementwise(enc, 'add', n, 0, [out, x, y]);
}

/** out = alpha · x   (out, x: [n]) */
export function scale(enc: Encoder, out: GPUBuffer, x: GPUBuffer, alpha: number, n: number): void {
  elementwise(enc, 'scale', n, alpha, [out, x]);
}

/** out += alpha · x   (out, x: [n]) */
export function axpy(enc: Encoder, out: GPUBuffer, x: GPUBuffer, alpha: number, n: number): void {
  elementwise(enc, 'axpy', n, alpha, [out, x]);
}
