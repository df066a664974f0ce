import { describe, expect, it } from 'vitest';
import { matmul, resolveMatmul, type MatmulShape } from '../../src/engine/ops/matmul';
import { matmulRef } from '../../src/engine/ref/matmul';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu } from '../gpu';

// Shapes straddle the 64x64 workgroup tile and the 4x4 per-invocation block: 1, 7, 33, 65, 129...
const SHAPES: Array<[M: number, N: number, K: number]> = [
  [1, 1, 1],
  [7, 5, 3],
  [33, 65, 17],
  [64, 64, 64],
  [65, 33, 129],
  [2, 130, 7],
  [129, 3, 1],
];

const LAYOUTS = [
  { name: 'A·B', transA: false, transB: false },
  { name: 'A·Bᵀ', transA: false, transB: true },
  { name: 'Aᵀ·B', transA: true, transB: false },
  { name: 'Aᵀ·Bᵀ', transA: true, transB: true },
];

// Inputs are U(-1, 1); f32 accumulation over K terms drifts by about K·2⁻²⁴ per term's size.
const tolerance = (K: number) => 1e-6 * (K + 4);

async function check(name: string, shape: MatmulShape, withBias: boolean, seed: number): Promise<Comparison> {
  const gpu = await testGpu();
  const s = resolveMatmul(shape);
  const rng = new Random(seed);
  const span = (stride: number, size: number) => stride * (s.batch - 1) + size;
  const a = rng.floats(span(s.strideA, s.M * s.K));
  const b = rng.floats(span(s.strideB, s.K * s.N));
  const c0 = rng.floats(span(s.strideC, s.M * s.N));
  const bias = withBias ? rng.floats(s.N) : null;

  const want = c0.slice();
  matmulRef(want, a, b, bias, shape);

  const bufs = {
    a: gpu.upload('A', a),
    b: gpu.upload('B', b),
    c: gpu.upload('C', c0),
    bias: bias ? gpu.upload('bias', bias) : null,
  };
  await gpu.run(name, (enc) => matmul(enc, bufs.c, bufs.a, bufs.b, bufs.bias, shape));
  const got = await gpu.readF32(bufs.c, want.length);
  for (const buffer of Object.values(bufs)) buffer?.destroy();
  return compareArrays(name, got, want, tolerance(s.K) * Math.abs(s.alpha) + 1e-6);
}

describe('matmul on WebGPU matches its CPU reference', () => {
  for (const layout of LAYOUTS) {
    it(`${layout.name} on ${SHAPES.length} shapes`, async () => {
      const results = [];
      for (const [i, [M, N, K]] of SHAPES.entries()) {
        results.push(await check(`${layout.name} M=${M} N=${N} K=${K}`, { M, N, K, transA: layout.transA, transB: layout.transB }, false, 100 + i));
      }
      expectClose(results);
    });
  }

  it('adds a bias and scales by alpha', async () => {
    const results = [];
    for (const [i, [M, N, K]] of SHAPES.entries()) {
      results.push(await check(`bias alpha=0.5 M=${M} N=${N} K=${K}`, { M, N, K, transB: true, alpha: 0.5 }, true, 200 + i));
    }
    expectClose(results);
  });

  it('accumulates into C (C += A·B) for every layout', async () => {
    const results = [];
    for (const layout of LAYOUTS) {
      for (const [M, N, K] of [[7, 5, 3], [33, 65, 17], [65, 33, 129], [1, 1, 1], [64, 64, 64]] as const) {
        results.push(await check(`accumulate ${layout.name} M=${M} N=${N} K=${K}`, { M, N, K, ...layout, accumulate: true, alpha: -2 }, false, 300 + M));
      }
    }
    expectClose(results);
  });

  it('runs batches, including a matrix shared across the batch (stride 0)', async () => {
    const results = [];
    for (const [M, N, K] of [[7, 5, 3], [33, 65, 17], [65, 33, 129], [1, 9, 2], [70, 70, 5]] as const) {
      results.push(await check(`batch=3 M=${M} N=${N} K=${K}`, { M, N, K, batch: 3, transB: true }, false, 400 + M));
      results.push(await check(`batch=3 shared B M=${M} N=${N} K=${K}`, { M, N, K, batch: 3, strideB: 0 }, true, 500 + M));
      results.push(await check(`batch=2 Aᵀ·B accumulate M=${M} N=${N} K=${K}`, { M, N, K, batch: 2, transA: true, accumulate: true }, false, 600 + M));
    }
    expectClose(results);
  });
});

describe('matmul shape checks', () => {
  it('names the operand whose buffer is too small, before the GPU sees it', async () => {
    const gpu = await testGpu();
    const a = gpu.createBuffer('x', 4 * 6);
    const w = gpu.createBuffer('W', 4 * 5);
    const y = gpu.createBuffer('y', 4 * 6);
    await expect(gpu.run('too small', (enc) => matmul(enc, y, a, w, null, { M: 2, N: 3, K: 3, transB: true }))).rejects.toThrow(
      /B \("W"\) holds 5 floats but the shape needs 9/,
    );
    await expect(gpu.run('bad dim', (enc) => matmul(enc, y, a, w, null, { M: 0, N: 3, K: 3 }))).rejects.toThrow(/M must be a positive integer/);
    [a, w, y].forEach((b) => b.destroy());
  });
});
