import { describe, expect, it } from 'vitest';
import { MATMUL_KERNELS, matmul, matmulWith, type MatmulKernel, type MatmulShape } from '../../src/engine/ops/matmul';
import { reduce, partialGroups } from '../../src/engine/ops/reduce';
import { matmulRef } from '../../src/engine/ref/matmul';
import { reduceRef } from '../../src/engine/ref/reduce';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { packWeight, unpackWeight, uploadPackedWeight } from '../../src/engine/pack-weights';
import { WEIGHT_FORMATS, type PackedWeight, type WeightFormat } from '../../src/engine/weight-format';
import { Random } from '../../src/engine/random';
import { VARIANTS, expectClose, testGpu, withVariant } from '../gpu';

// W [rows, cols] as a linear layer stores it. 37×53 needs the scalar or tiled kernel; 8×12 and
// 64×96 are 4-aligned, so the vec4 kernel applies (and 64×96 spans several q4 blocks per row).
const WEIGHTS: Array<[rows: number, cols: number]> = [
  [37, 53],
  [8, 12],
  [64, 96],
];
const M = 9;

// As the f32 tests: f32 accumulation over K terms of size ≤ 1 drifts by about K·2⁻²⁴ per term.
const tolerance = (K: number) => 1e-6 * (K + 4) + 1e-6;

interface Extras {
  bias: boolean;
  accumulate: boolean;
  alpha: number;
  /** Rank of a low-rank term (0: none); 4 is fused into the vec4 kernel, 3 makes it a second pass. */
  rank: number;
}
const PLAIN: Extras = { bias: false, accumulate: false, alpha: 1, rank: 0 };
const ALL = (rank: number): Extras => ({ bias: true, accumulate: true, alpha: -0.5, rank });

/**
 * y = x·Wᵀ (transB, x [M, cols]) or dx = dy·W (dy [M, rows]) with W packed in `format`, against the
 * CPU product with unpackWeight's values.
 */
async function check(kernel: MatmulKernel, format: WeightFormat, [rows, cols]: [number, number], transB: boolean, extras: Extras, seed: number): Promise<Comparison> {
  const gpu = await testGpu();
  const rng = new Random(seed);
  const [N, K] = transB ? [rows, cols] : [cols, rows];
  const packed = packWeight(format, rows, cols, rng.floats(rows * cols));
  const w = unpackWeight(format, rows, cols, packed);
  const shape: MatmulShape = { M, N, K, transB, alpha: extras.alpha, accumulate: extras.accumulate };
  const [a, c0, bias, a2, b2] = [M * K, M * N, N, M * extras.rank, extras.rank * N].map((n) => rng.floats(n));
  const want = c0.slice();
  matmulRef(want, a, w, extras.bias ? bias : null, shape);
  if (extras.rank) matmulRef(want, a2, b2, null, { M, N, K: extras.rank, transB, alpha: 0.25, accumulate: true });

  const weight = uploadPackedWeight(gpu, `W ${format}`, format, rows, cols, packed);
  const bufs = [a, c0, bias, a2, b2].map((data, i) => gpu.upload(`operand ${i}`, data));
  const lowRank = extras.rank ? { a: bufs[3], b: bufs[4], K: extras.rank, alpha: 0.25 } : null;
  const name = `${kernel} ${format} ${transB ? 'x·Wᵀ' : 'dy·W'} W ${rows}×${cols}${extras.bias ? ' bias' : ''}${extras.accumulate ? ' accumulate' : ''} alpha=${extras.alpha}${extras.rank ? ` rank ${extras.rank}` : ''}`;
  await gpu.run(name, (enc) => matmulWith(kernel, enc, bufs[1], bufs[0], weight, extras.bias ? bufs[2] : null, shape, lowRank));
  const got = await gpu.readF32(bufs[1], want.length);
  [...bufs, weight.data, weight.scales].forEach((buffer) => buffer?.destroy());
  return compareArrays(name, got, want, tolerance(K + extras.rank) * 2);
}

const fits = (kernel: MatmulKernel, [rows, cols]: [number, number]) => kernel !== 'vec4' || (rows % 4 === 0 && cols % 4 === 0);

for (const kernel of MATMUL_KERNELS) {
  describe(`matmul (${kernel} kernel) with a packed B matches the CPU product with the decoded W`, () => {
    for (const format of WEIGHT_FORMATS) {
      it(`${format}: x·Wᵀ and dy·W, plain and with bias, accumulate, alpha and a low-rank term`, async () => {
        const results: Comparison[] = [];
        for (const [i, weight] of WEIGHTS.filter((x) => fits(kernel, x)).entries()) {
          for (const transB of [true, false]) {
            results.push(await check(kernel, format, weight, transB, PLAIN, 10 * i + Number(transB)));
            results.push(await check(kernel, format, weight, transB, ALL(i % 2 ? 3 : 4), 100 + 10 * i + Number(transB)));
          }
        }
        expectClose(results);
      });
    }
  });
}

describe('matmul with a packed B: choice and checks', () => {
  it('matmul runs the kernel of the device\'s variant on a packed weight', async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const variant of VARIANTS) {
      await withVariant(gpu, variant, async () => {
        for (const format of ['bf16', 'q4'] as const) {
          results.push(await check(variant === 'parallel' ? 'tiled' : 'vec4', format, [64, 96], true, PLAIN, 7));
          const rng = new Random(8);
          const packed = packWeight(format, 12, 8, rng.floats(96));
          const x = rng.floats(5 * 8);
          const want = new Float32Array(5 * 12);
          matmulRef(want, x, unpackWeight(format, 12, 8, packed), null, { M: 5, N: 12, K: 8, transB: true });
          const weight = uploadPackedWeight(gpu, 'W', format, 12, 8, packed);
          const bufs = [gpu.upload('x', x), gpu.createBuffer('y', want.byteLength)];
          await gpu.run(`matmul ${variant} ${format}`, (enc) => matmul(enc, bufs[1], bufs[0], weight, null, { M: 5, N: 12, K: 8, transB: true }));
          results.push(compareArrays(`${variant} matmul ${format}`, await gpu.readF32(bufs[1], want.length), want, tolerance(8)));
          [...bufs, weight.data, weight.scales].forEach((buffer) => buffer?.destroy());
        }
      });
    }
    expectClose(results);
  });

  it('refuses a batch, or a weight of the wrong shape, naming it', async () => {
    const gpu = await testGpu();
    const weight = uploadPackedWeight(gpu, 'W int8', 'int8', 8, 4, packWeight('int8', 8, 4, new Float32Array(32)));
    const bufs = [gpu.createBuffer('x', 4 * 64), gpu.createBuffer('y', 4 * 64)];
    await expect(gpu.run('batched', (enc) => matmul(enc, bufs[1], bufs[0], weight, null, { M: 2, N: 8, K: 4, transB: true, batch: 2 }))).rejects.toThrow(/packed int8 B needs batch 1, got 2/);
    await expect(gpu.run('wrong shape', (enc) => matmul(enc, bufs[1], bufs[0], weight, null, { M: 2, N: 8, K: 4 }))).rejects.toThrow(/"W int8"\) is a 8×4 int8 weight but the shape needs 4×8 \(K×N\)/);
    [...bufs, weight.data, weight.scales].forEach((buffer) => buffer?.destroy());
  });
});

describe('meanAbsProduct (GoRA importance) with a packed W', () => {
  it('matches mean |W ⊙ G| of the decoded W, for every format and both variants', async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const variant of VARIANTS) {
      await withVariant(gpu, variant, async () => {
        for (const format of WEIGHT_FORMATS) {
          // 37×53: odd, several partial sums and q4 blocks that straddle rows; 64×96 > 1024 per group.
          for (const [rows, cols] of [[37, 53], [64, 96]] as const) {
            const rng = new Random(rows + cols);
            const n = rows * cols;
            const packed = packWeight(format, rows, cols, rng.floats(n));
            const g = rng.floats(n);
            const want = reduceRef('meanAbsProduct', unpackWeight(format, rows, cols, packed), g, n);
            const weight: PackedWeight = uploadPackedWeight(gpu, `W ${format}`, format, rows, cols, packed);
            const bufs = [gpu.upload('G', g), gpu.createBuffer('out', 8), gpu.createBuffer('scratch', 4 * partialGroups(n))];
            await gpu.run('importance', (enc) => reduce(enc, 'meanAbsProduct', bufs[1], 1, bufs[2], weight, bufs[0], n));
            const got = await gpu.readF32(bufs[1], 2);
            results.push(compareArrays(`${variant} ${format} W ${rows}×${cols}`, [got[1]], [want], 1e-6));
            [...bufs, weight.data, weight.scales].forEach((buffer) => buffer?.destroy());
          }
        }
      });
    }
    expectClose(results);
  });
});
