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

export interface ColumnView {
  /** Floats between the starts of consecutive rows. */
  stride: number;
  /** Column where the view starts. */
  offset: number;
}

/** out[n, outView.offset + c] = x[n, xView.offset + c] for n < rows, c < width. */
export function copyColumns(enc: Encoder, out: GPUBuffer, outView: ColumnView, x: GPUBuffer, xView: ColumnView, rows: number, width: number): void {
  requireDims('copyColumns', { rows, width });
  for (const view of [outView, xView]) {
    if (view.offset + width > view.stride) throw new RangeError(`copyColumns: columns ${view.offset}..${view.offset + width} exceed the row stride ${view.stride}`);
  }
  requireFloats('copyColumns', 'out', out, (rows - 1) * outView.stride + outView.offset + width);
  requireFloats('copyColumns', 'x', x, (rows - 1) * xView.stride + xView.offset + width);
  const uniforms = packUniforms([
    ['u32', rows],
    ['u32', width],
    ['u32', outView.stride],
    ['u32', outView.offset],
    ['u32', xView.stride],
    ['u32', xView.offset],
  ]);
  enc.dispatch({ shader: ELEMENTWISE_SHADER, entryPoint: 'copy_columns' }, grid1d(rows * width, 256), [out, x], uniforms);
}
