import { describe, expect, it } from 'vitest';
import { svdRef, type Svd } from '../../src/engine/ref/svd';
import { Random } from '../../src/engine/random';

/** U·diag(S)·Vᵀ [rows, cols]. */
function rebuild(s: Svd, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) for (let p = 0; p < s.k; p++) out[i * cols + j] += s.U[i * s.k + p] * s.S[p] * s.V[j * s.k + p];
  return out;
}

/** max |XᵀX − I| for X [rows, k] (columns orthonormal). */
function orthogonalityError(x: Float64Array, rows: number, k: number): number {
  let worst = 0;
  for (let p = 0; p < k; p++) {
    for (let q = 0; q < k; q++) {
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += x[i * k + p] * x[i * k + q];
      worst = Math.max(worst, Math.abs(dot - (p === q ? 1 : 0)));
    }
  }
  return worst;
}

describe('the CPU reference SVD (one-sided Jacobi)', () => {
  it('finds the singular values of hand-checkable matrices', () => {
    // [[3, 0], [4, 5]]: AᵀA = [[25, 20], [20, 25]], eigenvalues 45 and 5.
    expect([...svdRef([3, 0, 4, 5], 2, 2).S].map((x) => x.toFixed(12))).toEqual([Math.sqrt(45), Math.sqrt(5)].map((x) => x.toFixed(12)));
    // A diagonal matrix with its entries out of order and one negative: |entries|, sorted.
    expect([...svdRef([1, 0, 0, 0, -7, 0, 0, 0, 4], 3, 3).S]).toEqual([7, 4, 1]);
    // The rank-1 matrix u·vᵀ with u = (1, 2, 2), v = (3, 4): one singular value ‖u‖·‖v‖ = 15, the other 0.
    const s = svdRef([3, 4, 6, 8, 6, 8], 3, 2);
    expect(s.S[0]).toBeCloseTo(15, 12);
    expect(s.S[1]).toBeCloseTo(0, 12);
    expect(Math.abs(s.V[0 * 2 + 0])).toBeCloseTo(3 / 5, 12);
    expect(Math.abs(s.U[1 * 2 + 0])).toBeCloseTo(2 / 3, 12);
  });

  for (const [rows, cols] of [
    [7, 5],
    [5, 7],
    [1, 6],
    [9, 1],
    [13, 13],
  ]) {
    it(`reconstructs a random [${rows}, ${cols}] matrix from orthonormal U, V and sorted S`, () => {
      const rng = new Random(rows * 31 + cols);
      const a = Array.from({ length: rows * cols }, () => rng.uniform(-1, 1));
      const s = svdRef(a, rows, cols);
      expect(s.k).toBe(Math.min(rows, cols));
      const back = rebuild(s, rows, cols);
      const error = Math.max(...a.map((x, i) => Math.abs(x - back[i])));
      console.log(`[${rows}, ${cols}]: max |U·S·Vᵀ − A| = ${error.toExponential(2)}`);
      expect(error).toBeLessThan(1e-12);
      expect(orthogonalityError(s.U, rows, s.k)).toBeLessThan(1e-12);
      expect(orthogonalityError(s.V, cols, s.k)).toBeLessThan(1e-12);
      for (let i = 1; i < s.k; i++) expect(s.S[i]).toBeLessThanOrEqual(s.S[i - 1]);
    });
  }

  it('refuses a matrix whose size does not match its shape', () => {
    expect(() => svdRef([1, 2, 3], 2, 2)).toThrow(/has 3 values, \[2, 2\] needs 4/);
    expect(() => svdRef([], 0, 2)).toThrow(/whole numbers ≥ 1/);
  });
});
