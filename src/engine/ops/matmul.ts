// C[b] = alpha · op(A[b]) · op(B[b]) + bias + (accumulate ? C[b] : 0), by one of three kernels:
//   tiled  shaders/matmul-tiled.wgsl   workgroup-shared tiles, for real GPUs (kernelVariant 'parallel')
//   vec4   shaders/matmul-vec4.wgsl    8×8 register blocks, vec4 loads, for CPU-backed adapters
//                                      ('serial') when the shape is 4-aligned
//   scalar shaders/matmul.wgsl         8×8 register blocks, scalar loads: 'serial', any shape
// vec4 and scalar can also add a low-rank term (LoRA's) before their single store of C.
// B may be a stored weight (PackedWeight, src/engine/weight-format.ts) of any format: every kernel
// reads B through a decoding file prepended to it (src/engine/ops/weights.ts).
// The choice and the numbers behind it: bench/README.md, "Kernel choices".

import { ceilDiv, grid1d } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { KernelVariant } from '../../gpu/gpu';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms, type UniformField } from '../../gpu/uniforms';
import { dataBytes, scaleBytes, type PackedWeight } from '../weight-format';
import { requireDims, requireFloats } from './check';
import { isPacked, weightShader, type WeightOperand } from './weights';
import code from '../../../shaders/matmul.wgsl?raw';
import vec4Code from '../../../shaders/matmul-vec4.wgsl?raw';
import tiledCode from '../../../shaders/matmul-tiled.wgsl?raw';

export type MatmulKernel = 'tiled' | 'vec4' | 'scalar';
export const MATMUL_KERNELS: readonly MatmulKernel[] = ['tiled', 'vec4', 'scalar'];

const KERNEL_SOURCES: Record<MatmulKernel, Shader> = {
  scalar: { name: 'shaders/matmul.wgsl', code },
  vec4: { name: 'shaders/matmul-vec4.wgsl', code: vec4Code },
  tiled: { name: 'shaders/matmul-tiled.wgsl', code: tiledCode },
};

/** The module of a kernel with B in `format` (f32: a plain buffer, read as before formats existed). */
export function matmulShader(kernel: MatmulKernel, format: PackedWeight['format'] = 'f32'): Shader {
  return weightShader(KERNEL_SOURCES[kernel], format, kernel === 'vec4' ? 'vec4' : 'scalar');
}

export const MATMUL_SHADER: Shader = matmulShader('scalar');
export const MATMUL_VEC4_SHADER: Shader = matmulShader('vec4');
export const MATMUL_TILED_SHADER: Shader = matmulShader('tiled');

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

/**
 * A low-rank term added to C in the same pass (batch 1): C += alpha · A2 · op(B2), A2 [M, K] and B2
 * [K, N], or [N, K] when the product's B is transposed. LoRA's s·(xAᵀ)·Bᵀ in the forward pass and
 * du·A in the input gradient (src/engine/linear.ts).
 */
export interface LowRankTerm {
  a: GPUBuffer;
  b: GPUBuffer;
  K: number;
  alpha: number;
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

/**
 * Whether shaders/matmul-vec4.wgsl can run the shape: it reads every operand as vec4 along its stored
 * rows (K for A, or M when A is transposed; N for B, or K when B is transposed; N for C) and from
 * batch offsets that must land on a vec4.
 */
export function fitsVec4(s: Required<MatmulShape>): boolean {
  const aligned = (...values: number[]) => values.every((v) => v % 4 === 0);
  return aligned(s.N, s.K, s.strideA, s.strideB, s.strideC) && (!s.transA || aligned(s.M));
}

/** The kernel a device of this variant runs for the shape. */
export function chooseMatmulKernel(variant: KernelVariant, shape: MatmulShape): MatmulKernel {
  if (variant === 'parallel') return 'tiled';
  return fitsVec4(resolveMatmul(shape)) ? 'vec4' : 'scalar';
}

// c: [batch, M, N], a: [batch, M, K] (or [batch, K, M]), b: [batch, K, N] (or [batch, N, K]), bias: [N]
// A PackedWeight b (batch 1) is W [N, K] when transB (y = x·Wᵀ) and W [K, N] otherwise (dx = dy·W).
export function matmul(
  enc: Encoder,
  c: GPUBuffer,
  a: GPUBuffer,
  b: WeightOperand,
  bias: GPUBuffer | null,
  shape: MatmulShape,
  lowRank: LowRankTerm | null = null,
): void {
  matmulWith(chooseMatmulKernel(enc.gpu.kernelVariant, shape), enc, c, a, b, bias, shape, lowRank);
}

/** `matmul` with the kernel named (tests and benchmarks compare them on one device). */
export function matmulWith(
  kernelName: MatmulKernel,
  enc: Encoder,
  c: GPUBuffer,
  a: GPUBuffer,
  b: WeightOperand,
  bias: GPUBuffer | null,
  shape: MatmulShape,
  lowRank: LowRankTerm | null = null,
): void {
  const s = resolveMatmul(shape);
  const w: PackedWeight = isPacked(b) ? b : { format: 'f32', rows: 0, cols: 0, data: b, scales: null };
  requireDims('matmul', { M: s.M, N: s.N, K: s.K, batch: s.batch });
  const span = (stride: number, size: number) => stride * (s.batch - 1) + size;
  requireFloats('matmul', 'A', a, span(s.strideA, s.M * s.K));
  if (isPacked(b)) requirePacked(b, s);
  else requireFloats('matmul', 'B', b, span(s.strideB, s.K * s.N));
  requireFloats('matmul', 'C', c, span(s.strideC, s.M * s.N));
  if (bias) requireFloats('matmul', 'bias', bias, s.N);
  if (lowRank) {
    requireDims('matmul low-rank term', { K: lowRank.K });
    if (s.batch !== 1) throw new RangeError(`matmul: a low-rank term needs batch 1, got ${s.batch}`);
    requireFloats('matmul', 'A2', lowRank.a, s.M * lowRank.K);
    requireFloats('matmul', 'B2', lowRank.b, lowRank.K * s.N);
  }
  if (kernelName === 'vec4' && !fitsVec4(s)) {
    throw new RangeError(`matmul: the vec4 kernel needs N, K${s.transA ? ', M' : ''} and the batch strides to be multiples of 4 (M=${s.M} N=${s.N} K=${s.K}, strides ${s.strideA}, ${s.strideB}, ${s.strideC})`);
  }

  const constants = { TRANS_A: s.transA, TRANS_B: s.transB, HAS_BIAS: bias !== null, ACCUMULATE: s.accumulate };
  const fields: UniformField[] = [
    ['u32', s.M],
    ['u32', s.N],
    ['u32', s.K],
    ['u32', s.strideA],
    ['u32', s.strideB],
    ['u32', s.strideC],
    ['f32', s.alpha],
  ];
  const storage = [c, a, w.data, bias ?? enc.gpu.unused];
  const scales = w.scales ? [w.scales] : [];
  // The tiled kernel adds a low-rank term in a second pass; so does vec4 when the term's K is not a
  // multiple of 4 (its A2 could not be read as vec4).
  const fused = lowRank !== null && kernelName !== 'tiled' && (kernelName === 'scalar' || lowRank.K % 4 === 0);
  if (kernelName === 'tiled') {
    const shader = matmulShader('tiled', w.format);
    enc.dispatch({ shader, entryPoint: 'matmul', constants }, [ceilDiv(s.N, 64), ceilDiv(s.M, 64), s.batch], [...storage, ...scales], packUniforms(fields));
  } else {
    // vec4 and scalar: one 8×8 block of C per invocation, 64 invocations per workgroup.
    const blocksN = ceilDiv(s.N, 8);
    const blocks = ceilDiv(s.M, 8) * blocksN;
    fields.push(['u32', blocksN], ['u32', blocks], ['u32', fused ? lowRank.K : 0], ['f32', fused ? lowRank.alpha : 0]);
    const [x, y] = grid1d(blocks, 64);
    const shader = matmulShader(kernelName, w.format);
    const operands = fused ? [lowRank.a, lowRank.b] : [enc.gpu.unused, enc.gpu.unused];
    enc.dispatch({ shader, entryPoint: 'matmul', constants: { ...constants, LOW_RANK: fused } }, [x, y, s.batch], [...storage, ...operands, ...scales], packUniforms(fields));
  }
  if (lowRank && !fused) {
    const term = { M: s.M, N: s.N, K: lowRank.K, transB: s.transB, alpha: lowRank.alpha, accumulate: true };
    const second = kernelName === 'tiled' ? 'tiled' : chooseMatmulKernel('serial', term);
    matmulWith(second, enc, c, lowRank.a, lowRank.b, null, term);
  }
}

/** A packed B must be one matrix (batch 1) of the shape op(B) needs: W [N, K] when transB, else [K, N]. */
function requirePacked(w: PackedWeight, s: Required<MatmulShape>): void {
  if (s.batch !== 1) throw new RangeError(`matmul: a packed ${w.format} B needs batch 1, got ${s.batch}`);
  const [rows, cols] = s.transB ? [s.N, s.K] : [s.K, s.N];
  if (w.rows !== rows || w.cols !== cols) {
    throw new RangeError(`matmul: B ("${w.data.label}") is a ${w.rows}×${w.cols} ${w.format} weight but the shape needs ${rows}×${cols} (${s.transB ? 'N×K' : 'K×N'})`);
  }
  if (w.data.size < dataBytes(w.format, rows, cols)) {
    throw new RangeError(`matmul: B ("${w.data.label}") holds ${w.data.size} bytes but a ${rows}×${cols} ${w.format} weight needs ${dataBytes(w.format, rows, cols)}`);
  }
  const wantScales = scaleBytes(w.format, rows, cols);
  if (wantScales > 0 && (w.scales?.size ?? 0) < wantScales) {
    throw new RangeError(`matmul: B ("${w.data.label}") has ${w.scales?.size ?? 0} bytes of ${w.format} scales, needs ${wantScales}`);
  }
}
