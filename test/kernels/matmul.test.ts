import { describe, expect, it } from 'vitest';
import { MATMUL_KERNELS, chooseMatmulKernel, matmul, matmulWith, resolveMatmul, type MatmulKernel, type MatmulShape } from '../../src/engine/ops/matmul';
import { matmulRef } from '../../src/engine/ref/matmul';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { VARIANTS, expectClose, testGpu, withVariant } from '../gpu';

// Shapes straddle the tiled kernel's 64x64 workgroup tile and the 8x8 block per invocation of the
// vec4 and scalar kernels: 1, 7, 33, 65, 129...
const SHAPES: Array<[M: number, N: number, K: number]> = [
  [1, 1, 1],
  [7, 5, 3],
  [33, 65, 17],
  [64, 64, 64],
  [65, 33, 129],
  [2, 130, 7],
  [129, 3, 1],
];

// shaders/matmul-vec4.wgsl needs N and K (and M when A is transposed) to be multiples of 4; M is odd
// here wherever the layout allows, and N, K straddle the 4-float vector and the 64-wide dispatch.
const VEC4_SHAPES: Array<[M: number, N: number, K: number]> = [
  [1, 4, 4],
  [17, 8, 12],
  [33, 68, 20],
  [129, 4, 132],
  [5, 132, 8],
  [64, 64, 64],
];
const VEC4_SHAPES_TRANS_A: Array<[M: number, N: number, K: number]> = [
  [4, 4, 4],
  [20, 8, 12],
  [36, 68, 20],
  [132, 4, 132],
  [8, 132, 8],
];

function shapesFor(kernel: MatmulKernel, transA: boolean): Array<[M: number, N: number, K: number]> {
  if (kernel !== 'vec4') return SHAPES;
  return transA ? VEC4_SHAPES_TRANS_A : VEC4_SHAPES;
}

const LAYOUTS = [
  { name: 'A·B', transA: false, transB: false },
  { name: 'A·Bᵀ', transA: false, transB: true },
  { name: 'Aᵀ·B', transA: true, transB: false },
  { name: 'Aᵀ·Bᵀ', transA: true, transB: true },
];

// Inputs are U(-1, 1); f32 accumulation over K terms drifts by about K·2⁻²⁴ per term's size.
const tolerance = (K: number) => 1e-6 * (K + 4);

async function check(kernel: MatmulKernel, name: string, shape: MatmulShape, withBias: boolean, seed: number): Promise<Comparison> {
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
  await gpu.run(name, (enc) => matmulWith(kernel, enc, bufs.c, bufs.a, bufs.b, bufs.bias, shape));
  const got = await gpu.readF32(bufs.c, want.length);
  for (const buffer of Object.values(bufs)) buffer?.destroy();
  return compareArrays(`${kernel} ${name}`, got, want, tolerance(s.K) * Math.abs(s.alpha) + 1e-6);
}

for (const kernel of MATMUL_KERNELS) {
  describe(`matmul (${kernel} kernel) on WebGPU matches its CPU reference`, () => {
    for (const layout of LAYOUTS) {
      it(`${layout.name} on odd shapes`, async () => {
        const results = [];
        for (const [i, [M, N, K]] of shapesFor(kernel, layout.transA).entries()) {
          results.push(await check(kernel, `${layout.name} M=${M} N=${N} K=${K}`, { M, N, K, transA: layout.transA, transB: layout.transB }, false, 100 + i));
        }
        expectClose(results);
      });
    }

    it('adds a bias and scales by alpha', async () => {
      const results = [];
      for (const [i, [M, N, K]] of shapesFor(kernel, false).entries()) {
        results.push(await check(kernel, `bias alpha=0.5 M=${M} N=${N} K=${K}`, { M, N, K, transB: true, alpha: 0.5 }, true, 200 + i));
      }
      expectClose(results);
    });

    it('accumulates into C (C += A·B) for every layout', async () => {
      const results = [];
      for (const layout of LAYOUTS) {
        for (const [M, N, K] of shapesFor(kernel, layout.transA).slice(0, 5)) {
          results.push(await check(kernel, `accumulate ${layout.name} M=${M} N=${N} K=${K}`, { M, N, K, ...layout, accumulate: true, alpha: -2 }, false, 300 + M));
        }
      }
      expectClose(results);
    });

    it('runs batches, including a matrix shared across the batch (stride 0)', async () => {
      const results = [];
      for (const [M, N, K] of kernel === 'vec4' ? VEC4_BATCH_SHAPES : BATCH_SHAPES) {
        results.push(await check(kernel, `batch=3 M=${M} N=${N} K=${K}`, { M, N, K, batch: 3, transB: true }, false, 400 + M));
        results.push(await check(kernel, `batch=3 shared B M=${M} N=${N} K=${K}`, { M, N, K, batch: 3, strideB: 0 }, true, 500 + M));
        results.push(await check(kernel, `batch=2 Aᵀ·B accumulate M=${M} N=${N} K=${K}`, { M, N, K, batch: 2, transA: true, accumulate: true }, false, 600 + M));
      }
      expectClose(results);
    });
  });
}

// C = alpha·op(A)·op(B) + bias (+ C) + alpha2·A2·op(B2): LoRA's s·(xAᵀ)·Bᵀ (B transposed) and du·A.
// K2 of 4 and 8 is fused into the vec4 kernel's pass; 1, 3 and 7 make vec4 fall back to a second pass.
async function checkLowRank(kernel: MatmulKernel, [M, N, K]: readonly [number, number, number], K2: number, transB: boolean, seed: number): Promise<Comparison> {
  const gpu = await testGpu();
  const rng = new Random(seed);
  const shape: MatmulShape = { M, N, K, transB, alpha: 0.75, accumulate: true };
  const [a, b, c0, bias, a2, b2] = [M * K, K * N, M * N, N, M * K2, K2 * N].map((n) => rng.floats(n));
  const want = c0.slice();
  matmulRef(want, a, b, bias, shape);
  matmulRef(want, a2, b2, null, { M, N, K: K2, transB, alpha: -1.5, accumulate: true });
  const bufs = [a, b, c0, bias, a2, b2].map((data, i) => gpu.upload(`operand ${i}`, data));
  const name = `${kernel} low rank ${transB ? 'A·Bᵀ + A2·B2ᵀ' : 'A·B + A2·B2'} M=${M} N=${N} K=${K} K2=${K2}`;
  await gpu.run(name, (enc) => matmulWith(kernel, enc, bufs[2], bufs[0], bufs[1], bufs[3], shape, { a: bufs[4], b: bufs[5], K: K2, alpha: -1.5 }));
  const got = await gpu.readF32(bufs[2], want.length);
  bufs.forEach((buffer) => buffer.destroy());
  return compareArrays(name, got, want, tolerance(K + K2) * 2 + 1e-6);
}

describe('matmul with a low-rank term (LoRA in the same pass)', () => {
  for (const kernel of MATMUL_KERNELS) {
    it(`matmul (${kernel} kernel) adds a low-rank term in the same call`, async () => {
      const results: Comparison[] = [];
      const shapes = kernel === 'vec4' ? ([[1, 4, 4], [17, 12, 8], [33, 68, 20], [9, 132, 8]] as const) : ([[1, 1, 1], [7, 5, 3], [33, 65, 17], [9, 130, 7]] as const);
      for (const [i, shape] of shapes.entries()) {
        for (const K2 of [1, 3, 4, 8]) {
          for (const transB of [true, false]) results.push(await checkLowRank(kernel, shape, K2, transB, 700 + i * 10 + K2));
        }
      }
      expectClose(results);
    });
  }

  it('refuses a low-rank term on a batch, naming it', async () => {
    const gpu = await testGpu();
    const bufs = [gpu.createBuffer('A', 4 * 64), gpu.createBuffer('B', 4 * 64), gpu.createBuffer('C', 4 * 64)];
    await expect(gpu.run('batched low rank', (enc) => matmul(enc, bufs[2], bufs[0], bufs[1], null, { M: 4, N: 4, K: 4, batch: 2 }, { a: bufs[0], b: bufs[1], K: 4, alpha: 1 }))).rejects.toThrow(
      /low-rank term needs batch 1, got 2/,
    );
    bufs.forEach((buffer) => buffer.destroy());
  });
});

const BATCH_SHAPES = [[7, 5, 3], [33, 65, 17], [65, 33, 129], [1, 9, 2], [70, 70, 5]] as const;
const VEC4_BATCH_SHAPES = [[8, 4, 8], [36, 68, 20], [68, 32, 132], [4, 12, 4]] as const;

describe('matmul kernel choice', () => {
  it('runs shared tiles on parallel devices, vec4 blocks on serial ones when aligned, scalar blocks otherwise', () => {
    expect(chooseMatmulKernel('parallel', { M: 512, N: 256, K: 256, transB: true })).toBe('tiled');
    expect(chooseMatmulKernel('parallel', { M: 7, N: 5, K: 3 })).toBe('tiled');
    expect(chooseMatmulKernel('serial', { M: 511, N: 256, K: 256, transB: true })).toBe('vec4');
    expect(chooseMatmulKernel('serial', { M: 256, N: 8, K: 511, transA: true })).toBe('scalar');
    expect(chooseMatmulKernel('serial', { M: 511, N: 8, K: 512, transA: true })).toBe('scalar');
    expect(chooseMatmulKernel('serial', { M: 512, N: 256, K: 8, batch: 2, strideA: 4098 })).toBe('scalar');
    expect(chooseMatmulKernel('serial', { M: 512, N: 254, K: 8 })).toBe('scalar');
  });

  it('matmul runs the kernel of the device\'s variant', async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const variant of VARIANTS) {
      await withVariant(gpu, variant, async () => {
        const shape = { M: 9, N: 12, K: 8, transB: true };
        const rng = new Random(7);
        const a = rng.floats(9 * 8);
        const b = rng.floats(12 * 8);
        const want = new Float32Array(9 * 12);
        matmulRef(want, a, b, null, shape);
        const bufs = [gpu.upload('A', a), gpu.upload('B', b), gpu.createBuffer('C', want.byteLength)];
        const before = gpu.pipelines.size;
        await gpu.run(`matmul ${variant}`, (enc) => matmul(enc, bufs[2], bufs[0], bufs[1], null, shape));
        const got = await gpu.readF32(bufs[2], want.length);
        bufs.forEach((buffer) => buffer.destroy());
        results.push(compareArrays(`${variant} → ${chooseMatmulKernel(variant, shape)}`, got, want, tolerance(8)));
        expect(gpu.pipelines.size - before).toBeLessThanOrEqual(1);
      });
    }
    expectClose(results);
  });

  it('refuses the vec4 kernel for a shape it cannot read as vec4', async () => {
    const gpu = await testGpu();
    const bufs = [gpu.createBuffer('A', 4 * 30), gpu.createBuffer('B', 4 * 30), gpu.createBuffer('C', 4 * 30)];
    await expect(gpu.run('vec4 misfit', (enc) => matmulWith('vec4', enc, bufs[2], bufs[0], bufs[1], null, { M: 5, N: 6, K: 4 }))).rejects.toThrow(
      /vec4 kernel needs N, K and the batch strides to be multiples of 4 \(M=5 N=6 K=4/,
    );
    bufs.forEach((buffer) => buffer.destroy());
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
