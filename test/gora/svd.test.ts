import { describe, expect, it } from 'vitest';
import { topSingularTriplets } from '../../src/gora/svd';
import { svdRef } from '../../src/engine/ref/svd';
import { Random } from '../../src/engine/random';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { expectClose, testGpu, VARIANTS, withVariant } from '../gpu';

// Singular values to this relative error; subspaces to |Uᵀ·U_ref| = I up to signs within SUBSPACE.
const VALUE_TOLERANCE = 1e-4;
const SUBSPACE_TOLERANCE = 1e-3;

/** [rows, cols] = U·diag(spectrum)·Vᵀ with random orthonormal U, V (from the reference SVD of random matrices). */
function withSpectrum(rng: Random, rows: number, cols: number, spectrum: number[]): Float32Array {
  const k = Math.min(rows, cols);
  const basis = (n: number) => svdRef(Array.from({ length: n * k }, () => rng.uniform(-1, 1)), n, k).U;
  const U = basis(rows);
  const V = basis(cols);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
    let sum = 0;
    for (let p = 0; p < k; p++) sum += U[i * k + p] * (spectrum[p] ?? 0) * V[j * k + p];
    out[i * cols + j] = sum;
  }
  return out;
}

/** max over i, j of | |XᵀY|_ij − δ_ij | for X, Y [n, k] with k columns each (same span, up to signs). */
function subspaceError(x: ArrayLike<number>, kx: number, y: ArrayLike<number>, ky: number, n: number, k: number): number {
  let worst = 0;
  for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += x[i * kx + p] * y[i * ky + q];
    worst = Math.max(worst, Math.abs(Math.abs(dot) - (p === q ? 1 : 0)));
  }
  return worst;
}

describe('top-k singular triplets on the GPU (randomised subspace iteration)', async () => {
  const gpu = await testGpu();
  // Odd shapes, tall and wide; a clear gap after the k-th value (the k largest are distinct too).
  const cases: Array<{ rows: number; cols: number; k: number; spectrum: number[] }> = [
    { rows: 37, cols: 23, k: 5, spectrum: [10, 8, 6.5, 5, 4, 0.6, 0.5, 0.45, 0.3, 0.2, 0.1] },
    { rows: 23, cols: 61, k: 3, spectrum: [3, 2, 1.5, 0.2, 0.19, 0.1, 0.05] },
    { rows: 130, cols: 67, k: 8, spectrum: [9, 8, 7, 6, 5, 4, 3, 2, ...Array.from({ length: 40 }, (_, i) => 0.3 - i * 0.005)] },
    { rows: 16, cols: 16, k: 16, spectrum: Array.from({ length: 16 }, (_, i) => 16 - i) },
  ];
  for (const variant of VARIANTS) {
    for (const { rows, cols, k, spectrum } of cases) {
      it(`[${rows}, ${cols}], k = ${k}, ${variant}: singular values and subspaces match the CPU Jacobi SVD`, async () => {
        const a = withSpectrum(new Random(rows * 7 + cols), rows, cols, spectrum);
        const ref = svdRef(a, rows, cols);
        const scale = 0.5; // the GPU matrix is 2·a, read as 0.5·(2·a)
        const buffer = gpu.upload('svd test matrix', a.map((x) => x / scale));
        try {
          const got = await withVariant(gpu, variant, () => topSingularTriplets(gpu, buffer, rows, cols, k, { scale }));
          const results: Comparison[] = [
            compareArrays('singular values / σ₁', [...got.S].map((s) => s / ref.S[0]), [...ref.S.slice(0, k)].map((s) => s / ref.S[0]), VALUE_TOLERANCE),
            { ...compareArrays('|Uᵀ·U_ref| − I', [subspaceError(got.U, got.k, ref.U, ref.k, rows, k)], [0], SUBSPACE_TOLERANCE) },
            { ...compareArrays('|Vᵀ·V_ref| − I', [subspaceError(got.V, got.k, ref.V, ref.k, cols, k)], [0], SUBSPACE_TOLERANCE) },
          ];
          expectClose(results);
          // Each triplet belongs together: uᵢᵀ·A·vᵢ = σᵢ.
          for (let p = 0; p < k; p++) {
            let uav = 0;
            for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) uav += got.U[i * k + p] * a[i * cols + j] * got.V[j * k + p];
            expect(Math.abs(uav - got.S[p]) / ref.S[0]).toBeLessThan(VALUE_TOLERANCE);
          }
        } finally {
          buffer.destroy();
        }
      });
    }
  }

  it('returns an orthonormal basis with zero values past the rank (a rank-2 matrix, k = 4; a zero matrix)', async () => {
    for (const spectrum of [[5, 2], []]) {
      const [rows, cols, k] = [20, 12, 4];
      const a = withSpectrum(new Random(3), rows, cols, spectrum);
      const buffer = gpu.upload('low-rank matrix', a);
      try {
        const got = await topSingularTriplets(gpu, buffer, rows, cols, k);
        expect([...got.S].map((s) => Number(s.toFixed(4)))).toEqual([...spectrum, 0, 0, 0, 0].slice(0, k));
        expect(subspaceError(got.U, k, got.U, k, rows, k)).toBeLessThan(1e-6);
        expect(subspaceError(got.V, k, got.V, k, cols, k)).toBeLessThan(1e-6);
      } finally {
        buffer.destroy();
      }
    }
  });

  it('refuses k outside 1..min(m, n) and a buffer too small for the shape', async () => {
    const buffer = gpu.upload('small', new Float32Array(12));
    try {
      await expect(topSingularTriplets(gpu, buffer, 3, 4, 4)).rejects.toThrow(/k must be between 1 and 3/);
      await expect(topSingularTriplets(gpu, buffer, 3, 4, 0)).rejects.toThrow(/k must be between 1 and 3/);
      await expect(topSingularTriplets(gpu, buffer, 4, 4, 2)).rejects.toThrow(/holds 12 floats, \[4, 4\] needs 16/);
    } finally {
      buffer.destroy();
    }
  });
});
