// C[b] = alpha · op(A[b]) · op(B[b]) + bias + (accumulate ? C[b] : 0) — see shaders/matmul.wgsl.

import { ceilDiv } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/matmul.wgsl?raw';

export const MATMUL_SHADER: Shader = { name: 'shaders/matmul.wgsl', code };

export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  batch?: number;
  /** A is stored [K, M] instead of [M, K]. */
  transA?: boolean;
  /** B is stored [N, K] instead of [K, N] (the x·Wᵀ of a linear layer). */
  transB?: boolean;
  /** Elements between consecutive batch items; 0 shares one matrix across the batch. */
  strideA?: number;
  strideB?: number;
  strideC?: number;
  alpha?: number;
  /** Add into C instead of overwriting it (gradient accumulation). */
  accumulate?: boolean;
}

/** Fills in the defaults of a shape: one batch item, no transposes, packed strides, alpha 1. */
export function resolveMatmul(shape: MatmulShape): Required<MatmulShape> {
  const { M, N, K } = shape;
  return {
    M,
    N,
    K,
    batch: shape.batch ?? 1,
    transA: shape.transA ?? false,
    transB: shape.transB ?? false,
    strideA: shape.strideA ?? M * K,
    strideB: shape.strideB ?? K * N,
    strideC: shape.strideC ?? M * N,
    alpha: shape.alpha ?? 1,
    accumulate: shape.accumulate ?? false,
  };
}

// c: [batch, M, N], a: [batch, M, K] (or [batch, K, M]), b: [batch, K, N] (or [batch, N, K]), bias: [N]
export function matmul(
  enc: Encoder,
  c: GPUBuffer,
  a: GPUBuffer,
  b: GPUBuffer,
  bias: GPUBuffer | null,
  shape: MatmulShape,
): void {
  const s = resolveMatmul(shape);
  requireDims('matmul', { M: s.M, N: s.N, K: s.K, batch: s.batch });
  const span = (stride: number, size: number) => stride * (s.batch - 1) + size;
  requireFloats('matmul', 'A', a, span(s.strideA, s.M * s.K));
  requireFloats('matmul', 'B', b, span(s.strideB, s.K * s.N));
  requireFloats('matmul', 'C', c, span(s.strideC, s.M * s.N));
  if (bias) requireFloats('matmul', 'bias', bias, s.N);

  const kernel = {
    shader: MATMUL_SHADER,
    entryPoint: 'matmul',
    constants: { TRANS_A: s.transA, TRANS_B: s.transB, HAS_BIAS: bias !== null, ACCUMULATE: s.accumulate },
  };
  const uniforms = packUniforms([
    ['u32', s.M],
    ['u32', s.N],
    ['u32', s.K],
    ['u32', s.strideA],
    ['u32', s.strideB],
    ['u32', s.strideC],
    ['f32', s.alpha],
  ]);
  enc.dispatch(kernel, [ceilDiv(s.N, 64), ceilDiv(s.M, 64), s.batch], [c, a, b, bias ?? enc.gpu.unused], uniforms);
}
