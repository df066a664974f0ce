// Top-k singular triplets of a GPU matrix by randomised subspace iteration (Halko, Martinsson and
// Tropp 2011, Algorithms 4.4 and 5.1), for LoRA-GA (SVD of the scan gradient G) and PiSSA (SVD of
// W). The products with the large [m, n] matrix run on the GPU with the engine's matmul kernel; the
// thin [m, l] / [n, l] bases are re-orthonormalised on the CPU after every product (the "power
// iteration with re-orthonormalisation" that keeps small singular directions from being lost to
// rounding), and the final small problem — the SVD of the [n, l] matrix Gᵀ·Q — is solved by the CPU
// Jacobi SVD (src/engine/ref/svd.ts). l = k + oversampling, never above min(m, n).

import type { Allocator, Gpu } from '../gpu/gpu';
import { matmul } from '../engine/ops/matmul';
import { Random } from '../engine/random';
import { svdRef, type Svd } from '../engine/ref/svd';
import type { PackedWeight } from '../engine/weight-format';

export interface SubspaceOptions {
  /** The matrix on the GPU is scale·M (e.g. 1/N for the scan's summed gradients). Default 1. */
  scale?: number;
  /** Power iterations q (each one product with Mᵀ and one with M). Default 4, as torch.svd_lowrank's niter. */
  powerIterations?: number;
  /** Extra basis vectors p beyond k. Default 8. */
  oversampling?: number;
  seed?: number;
}

/**
 * The k largest singular triplets of scale·M, M [m, n] row-major on the GPU (f32, or a frozen weight in
 * a stored format); U [m, k], V [n, k] as columns.
 */
export async function topSingularTriplets(gpu: Gpu, matrix: GPUBuffer | PackedWeight, m: number, n: number, k: number, options: SubspaceOptions = {}): Promise<Svd> {
  if (!(Number.isSafeInteger(k) && k >= 1 && k <= Math.min(m, n))) throw new RangeError(`the top ${k} singular vectors of a [${m}, ${n}] matrix do not exist: k must be between 1 and ${Math.min(m, n)}`);
  const packed = 'format' in matrix ? matrix : null;
  if (packed && (packed.rows !== m || packed.cols !== n)) throw new RangeError(`the matrix is [${packed.rows}, ${packed.cols}], not [${m}, ${n}]`);
  if (!packed && (matrix as GPUBuffer).size < m * n * 4) throw new RangeError(`the matrix buffer holds ${(matrix as GPUBuffer).size / 4} floats, [${m}, ${n}] needs ${m * n}`);
  const scale = options.scale ?? 1;
  const iterations = options.powerIterations ?? 4;
  const rng = new Random(options.seed ?? 0x5eed);
  const { l, left, right, flipped } = subspaceBuffers(gpu, m, n, k, options.oversampling, packed !== null);
  gpu.write(right, Float32Array.from(gaussian(rng, n * l)));
  // A stored-format matrix is read only as a product's right operand (as a linear layer reads W), so
  // its products are taken transposed: (M·Z)ᵀ = Zᵀ·Mᵀ and (Mᵀ·Q)ᵀ = Qᵀ·M, the [l, ·] results
  // transposed back on the CPU, where the bases go anyway.
  const product = async (label: string, out: GPUBuffer, basis: GPUBuffer, rows: number, inner: number, leftSide: boolean): Promise<Float32Array> => {
    if (!flipped) {
      await gpu.run(label, (enc) => matmul(enc, out, matrix as GPUBuffer, basis, null, { M: rows, N: l, K: inner, transA: !leftSide, alpha: scale }));
      return gpu.readF32(out, rows * l);
    }
    await gpu.run(label, (enc) => matmul(enc, flipped, basis, packed!, null, { M: l, N: rows, K: inner, transA: true, transB: leftSide, alpha: scale }));
    return transposed(await gpu.readF32(flipped, l * rows), l, rows);
  };
  try {
    // Y = M·Ω, then alternately Z = Mᵀ·Q and Y = M·Z, each orthonormalised.
    const leftProduct = async () => {
      const q = orthonormalise(await product('svd M·Z', left, right, m, n, true), m, l, rng);
      gpu.write(left, Float32Array.from(q));
      return q;
    };
    const rightProduct = () => product('svd Mᵀ·Q', right, left, n, m, false);
    let Q = await leftProduct();
    for (let i = 0; i < iterations; i++) {
      gpu.write(right, Float32Array.from(orthonormalise(await rightProduct(), n, l, rng)));
      Q = await leftProduct();
    }
    // Z = Mᵀ·Q = (Qᵀ·M)ᵀ; Z = U_z·Σ·V_zᵀ gives M ≈ Q·Qᵀ·M = (Q·V_z)·Σ·U_zᵀ.
    const Z = await rightProduct();
    const small = svdRef(Z, n, l);
    const U = new Float64Array(m * k);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < k; j++) {
        let sum = 0;
        for (let p = 0; p < l; p++) sum += Q[i * l + p] * small.V[p * l + j];
        U[i * k + j] = sum;
      }
    }
    const Vk = new Float64Array(n * k);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) Vk[i * k + j] = small.U[i * l + j];
    // Past the matrix's rank the right vectors of zero singular values are undefined (zero columns):
    // completing them to an orthonormal set keeps every adapter row trainable (LoRA-GA's A₀).
    const V = orthonormalise(Vk, n, k, rng);
    return { U, S: small.S.slice(0, k), V, k };
  } finally {
    left.destroy();
    right.destroy();
    flipped?.destroy();
  }
}

/** [rows, cols] → [cols, rows]. */
function transposed(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/**
 * The buffers of topSingularTriplets: the two thin bases, l = k + oversampling columns (at most
 * min(m, n)), [m, l] and [n, l], and for a stored-format matrix the [l, max(m, n)] transposed
 * product. The memory plan counts them with this too.
 */
export function subspaceBuffers(gpu: Allocator, m: number, n: number, k: number, oversampling = 8, packed = false): { l: number; left: GPUBuffer; right: GPUBuffer; flipped: GPUBuffer | null } {
  const l = Math.min(k + oversampling, m, n);
  return {
    l,
    left: gpu.createBuffer('svd basis [m, l]', m * l * 4),
    right: gpu.createBuffer('svd basis [n, l]', n * l * 4),
    flipped: packed ? gpu.createBuffer('svd product [l, max(m, n)]', l * Math.max(m, n) * 4) : null,
  };
}

/** Standard normal values (Box–Muller). */
function gaussian(rng: Random, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = 1 - rng.next();
    const v = rng.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    out[i] = radius * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * Orthonormal columns spanning those of x [rows, cols], by modified Gram–Schmidt applied twice
 * ("twice is enough", Giraud et al. 2005) in f64. A column that is (numerically) in the span of the
 * previous ones — a matrix of rank below l, such as a zero gradient — is replaced by a random
 * direction, so the basis stays orthonormal and the directions it finds are still the top ones.
 */
export function orthonormalise(x: ArrayLike<number>, rows: number, cols: number, rng: Random): Float64Array {
  const q = Float64Array.from(x);
  const column = (j: number) => {
    let sum = 0;
    for (let i = 0; i < rows; i++) sum += q[i * cols + j] ** 2;
    return Math.sqrt(sum);
  };
  for (let j = 0; j < cols; j++) {
    for (let attempt = 0; ; attempt++) {
      const before = column(j);
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < j; p++) {
          let dot = 0;
          for (let i = 0; i < rows; i++) dot += q[i * cols + p] * q[i * cols + j];
          for (let i = 0; i < rows; i++) q[i * cols + j] -= dot * q[i * cols + p];
        }
      }
      const norm = column(j);
      if (norm > 1e-10 * before && norm > 0) {
        for (let i = 0; i < rows; i++) q[i * cols + j] /= norm;
        break;
      }
      if (attempt > 8) throw new Error(`cannot complete an orthonormal basis of ${cols} columns in ${rows} dimensions`);
      const fresh = gaussian(rng, rows);
      for (let i = 0; i < rows; i++) q[i * cols + j] = fresh[i];
    }
  }
  return q;
}
