import { describe, it } from 'vitest';
import type { KernelVariant } from '../../src/gpu/gpu';
import { add, axpy, copyColumns, scale } from '../../src/engine/ops/elementwise';
import { reduce, partialGroups, type Reduction } from '../../src/engine/ops/reduce';
import { addRef, axpyRef, copyColumnsRef, scaleRef } from '../../src/engine/ref/elementwise';
import { reduceRef } from '../../src/engine/ref/reduce';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu, VARIANTS, withVariant } from '../gpu';

// 1 and 7 are below one workgroup, 257 and 1025 straddle workgroup and partial-sum boundaries,
// 300_001 uses many reduction workgroups (256 cap, grid-strided).
const SIZES = [1, 7, 33, 257, 1025, 65_537, 300_001];

describe('elementwise kernels match their CPU references', () => {
  for (const op of ['add', 'scale', 'axpy'] as const) {
    it(`${op} on ${SIZES.length} sizes`, async () => {
      const gpu = await testGpu();
      const results: Comparison[] = [];
      for (const n of SIZES) {
        const rng = new Random(n);
        const x = rng.floats(n);
        const y = rng.floats(n);
        const out0 = rng.floats(n);
        const alpha = -0.75;
        const want = out0.slice();
        if (op === 'add') addRef(want, x, y, n);
        if (op === 'scale') scaleRef(want, x, alpha, n);
        if (op === 'axpy') axpyRef(want, x, alpha, n);
        const [bx, by, bout] = [gpu.upload('x', x), gpu.upload('y', y), gpu.upload('out', out0)];
        await gpu.run(op, (enc) => {
          if (op === 'add') add(enc, bout, bx, by, n);
          if (op === 'scale') scale(enc, bout, bx, alpha, n);
          if (op === 'axpy') axpy(enc, bout, bx, alpha, n);
        });
        results.push(compareArrays(`${op} n=${n}`, await gpu.readF32(bout, n), want, 1e-6));
        [bx, by, bout].forEach((b) => b.destroy());
      }
      expectClose(results);
    });
  }
});


/**
 * The longest chain of f32 additions behind one reduction of n terms: parallel, the terms each
 * thread adds in sequence plus two 256-wide trees (8 levels each); serial, each partial's terms in
 * blocks of 64 plus the block sums, then the partials in blocks of 16 plus those block sums.
 */
function depth(n: number, variant: KernelVariant): number {
  const groups = partialGroups(n);
  if (variant === 'parallel') return Math.ceil(n / (groups * 256)) + 16;
  const terms = Math.ceil(n / groups);
  return Math.min(terms, 64) + Math.ceil(terms / 64) + Math.min(groups, 16) + Math.ceil(groups / 16);
}

describe('reductions match their CPU references', () => {
  for (const kind of ['sum', 'sumSquares', 'meanAbsProduct'] as Reduction[]) {
    it.each(VARIANTS)(`%s: ${kind} on ${SIZES.length} sizes`, async (variant) => {
      const gpu = await testGpu();
      const results: Comparison[] = [];
      for (const n of SIZES) {
        const rng = new Random(7 * n + 1);
        const x = rng.floats(n);
        const y = rng.floats(n);
        const want = reduceRef(kind, x, y, n);
        const [bx, by] = [gpu.upload('x', x), gpu.upload('y', y)];
        const scratch = gpu.createBuffer('partials', partialGroups(n) * 4);
        const out = gpu.upload('out', new Float32Array([5, 5, 5]));
        // Written at index 1: the neighbours must stay untouched.
        await withVariant(gpu, variant, () => gpu.run(kind, (enc) => reduce(enc, kind, out, 1, scratch, bx, by, n)));
        const got = await gpu.readF32(out, 3);
        // The classic bound for f32 summation of depth d: d · 2⁻²⁴ · Σ|term|.
        // Σ|term| (for the mean, over n); the other two reductions have no negative terms.
        const magnitude = kind === 'sum' ? x.reduce((acc, v) => acc + Math.abs(v), 0) : want;
        const tolerance = depth(n, variant) * 2 ** -24 * magnitude + 1e-9;
        results.push(compareArrays(`${kind} ${variant} n=${n}`, got, [5, want, 5], tolerance));
        [bx, by, scratch, out].forEach((b) => b.destroy());
      }
      expectClose(results);
    });
  }
});


describe('copyColumns matches its CPU reference', () => {
  it('splits and merges column blocks on 5 shapes', async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    // [rows, width, out stride, out offset, x stride, x offset]
    const cases = [
      [1, 1, 1, 0, 3, 2],
      [7, 5, 15, 10, 5, 0],
      [33, 17, 17, 0, 51, 17],
      [65, 64, 192, 64, 64, 0],
      [300, 9, 9, 0, 27, 18],
    ];
    for (const [rows, width, so, oo, sx, ox] of cases) {
      const rng = new Random(rows * width);
      const x = rng.floats(rows * sx);
      const out0 = rng.floats(rows * so);
      const want = out0.slice();
      copyColumnsRef(want, { stride: so, offset: oo }, x, { stride: sx, offset: ox }, rows, width);
      const [bx, bout] = [gpu.upload('x', x), gpu.upload('out', out0)];
      await gpu.run('copy columns', (enc) => copyColumns(enc, bout, { stride: so, offset: oo }, bx, { stride: sx, offset: ox }, rows, width));
      results.push(compareArrays(`copyColumns rows=${rows} width=${width}`, await gpu.readF32(bout), want, 0));
      [bx, bout].forEach((b) => b.destroy());
    }
    expectClose(results);
  });
});
