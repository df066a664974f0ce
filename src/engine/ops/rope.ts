// Rotary embeddings in place — see shaders/rope.wgsl.

import { grid1d } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/rope.wgsl?raw';

export const ROPE_SHADER: Shader = { name: 'shaders/rope.wgsl', code };

function rope(enc: Encoder, entryPoint: string, x: GPUBuffer, cos: GPUBuffer, sin: GPUBuffer, N: number, T: number, H: number, D: number): void {
  requireDims(entryPoint, { N, T, H, D });
  if (D % 2 !== 0) throw new RangeError(`${entryPoint}: head dimension must be even, got ${D}`);
  requireFloats(entryPoint, 'x', x, N * H * D);
  requireFloats(entryPoint, 'cos', cos, T * (D / 2));
  requireFloats(entryPoint, 'sin', sin, T * (D / 2));
  const uniforms = packUniforms([
    ['u32', N],
    ['u32', T],
    ['u32', H],
    ['u32', D],
  ]);
  enc.dispatch({ shader: ROPE_SHADER, entryPoint }, grid1d((N * H * D) / 2, 256), [x, cos, sin], uniforms);
}

/** x [N, H, D] rotated in place; cos, sin [T, D/2]; row n is at position n % T. */
export function ropeForward(enc: Encoder, x: GPUBuffer, cos: GPUBuffer, sin: GPUBuffer, N: number, T: number, H: number, D: number): void {
  rope(enc, 'rope_forward', x, cos, sin, N, T, H, D);
}

/** dx [N, H, D]: the gradient w.r.t. the rotated x, turned in place into the gradient w.r.t. x. */
export function ropeBackward(enc: Encoder, dx: GPUBuffer, cos: GPUBuffer, sin: GPUBuffer, N: number, T: number, H: number, D: number): void {
  rope(enc, 'rope_backward', dx, cos, sin, N, T, H, D);
}
