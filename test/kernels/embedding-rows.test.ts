// The embedding over a vocabulary split by rows (src/engine/vocab-chunks.ts): embedding_add_rows and
// embedding_dwte with a row offset against their CPU twins on odd shapes and uneven row ranges, the
// whole split lookup against the unsplit reference, and the twins' backward against finite differences.

import { describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import type { Encoder } from '../../src/gpu/encoder';
import { embeddingAddRows, embeddingBackward, embeddingForward } from '../../src/engine/ops/embedding';
import { embeddingAddRowsRef, embeddingBackwardRef, embeddingForwardRef, embeddingRowsBackwardRef } from '../../src/engine/ref/embedding';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu, VARIANTS, withVariant } from '../gpu';
import { expectGradient } from '../finite-diff';

// N rows, T positions, C channels, V vocabulary cut into row ranges of these sizes (uneven; a range
// of one row; C straddling 256; more ranges than tokens).
const SHAPES: Array<[N: number, T: number, C: number, ranges: number[]]> = [
  [1, 1, 1, [2, 3]],
  [7, 3, 9, [5, 5, 1]],
  [16, 8, 32, [100, 100, 57]],
  [33, 11, 65, [333, 333, 334]],
  [12, 4, 300, [1, 2, 2]],
  [5, 5, 3, [4, 1, 3, 2, 7]],
];

// One f32 addition per element (forward: one table holds the token, the first adds wpe), and
// dwte adds rows in the reference's order: 1 ulp of values below 2.
const TOLERANCE = 2.4e-7;

async function onGpu(
  gpu: Gpu,
  inputs: Record<string, Float32Array | Uint32Array>,
  record: (enc: Encoder, b: Record<string, GPUBuffer>) => void,
  outputs: string[],
): Promise<Record<string, Float32Array>> {
  const b: Record<string, GPUBuffer> = {};
  for (const [name, data] of Object.entries(inputs)) b[name] = gpu.upload(name, data);
  await gpu.run('embedding rows test', (enc) => record(enc, b));
  const got: Record<string, Float32Array> = {};
  for (const name of outputs) got[name] = await gpu.readF32(b[name], inputs[name].length);
  Object.values(b).forEach((buffer) => buffer.destroy());
  return got;
}

/** Row offsets of consecutive ranges. */
function offsets(ranges: number[]): number[] {
  return ranges.map((_, k) => ranges.slice(0, k).reduce((a, b) => a + b, 0));
}

describe('embedding over row ranges on WebGPU matches its CPU twin', () => {
  for (const variant of VARIANTS) {
    it(`${variant}: add_rows (+=), dwte with a row offset (+=), and the whole split lookup, on ${SHAPES.length} shapes`, async () => {
      const gpu = await testGpu();
      const results: Comparison[] = [];
      await withVariant(gpu, variant, async () => {
        for (const [N, T, C, ranges] of SHAPES) {
          const V = ranges.reduce((a, b) => a + b, 0);
          const lo = offsets(ranges);
          const rng = new Random(N * 977 + C);
          const tokens = Uint32Array.from({ length: N }, () => Math.floor(rng.next() * V));
          tokens[0] = V - 1; // the last row of the last range
          const wte = rng.floats(V * C);
          const wpe = rng.floats((T + 2) * C);
          const dout = rng.floats(N * C);
          const tables = ranges.map((rows, k) => wte.slice(lo[k] * C, (lo[k] + rows) * C));
          const shape = `N=${N} T=${T} C=${C} ranges=${ranges.join('+')}`;

          for (const [k, table] of tables.entries()) {
            const out0 = rng.floats(N * C);
            const want = out0.slice();
            embeddingAddRowsRef(want, tokens, table, lo[k], N, C);
            const fwd = await onGpu(gpu, { out: out0, tokens, table }, (enc, b) => embeddingAddRows(enc, b.out, b.tokens, b.table, lo[k], N, C), ['out']);
            results.push(compareArrays(`add_rows range ${k} ${shape}`, fwd.out, want, TOLERANCE));

            const dwte0 = rng.floats(table.length);
            const dwte = dwte0.slice();
            embeddingRowsBackwardRef(dwte, dout, tokens, lo[k], N, C);
            const bwd = await onGpu(gpu, { dwte: dwte0, dout, tokens }, (enc, b) => embeddingBackward(enc, b.dwte, null, b.dout, b.tokens, N, T, C, lo[k]), ['dwte']);
            results.push(compareArrays(`dwte range ${k} ${shape}`, bwd.dwte, dwte, TOLERANCE));
          }

          // The split lookup (first range gathers with positions, later ranges add) equals the unsplit one.
          const want = new Float32Array(N * C);
          embeddingForwardRef(want, tokens, wte, wpe, N, T, C);
          const inputs: Record<string, Float32Array | Uint32Array> = { out: new Float32Array(N * C), tokens, wpe };
          tables.forEach((table, k) => (inputs[`table${k}`] = table));
          const split = await onGpu(
            gpu,
            inputs,
            (enc, b) => {
              embeddingForward(enc, b.out, b.tokens, b.table0, b.wpe, N, T, C);
              for (let k = 1; k < tables.length; k++) embeddingAddRows(enc, b.out, b.tokens, b[`table${k}`], lo[k], N, C);
            },
            ['out'],
          );
          results.push(compareArrays(`split lookup = unsplit ${shape}`, split.out, want, TOLERANCE));
        }
      });
      expectClose(results);
    });
  }
});

describe('embedding row-range CPU twins', () => {
  it('backward matches finite differences of L = Σ out ⊙ R (repeated tokens, tokens outside the range)', () => {
    const [N, C] = [7, 3];
    const [lo, rows] = [2, 3];
    const rng = new Random(5);
    const tokens = new Uint32Array([2, 0, 4, 2, 5, 3, 4]);
    const table = Float64Array.from(rng.floats(rows * C));
    const out0 = Float64Array.from(rng.floats(N * C));
    const R = Float64Array.from(rng.floats(N * C));
    const loss = () => {
      const out = out0.slice();
      embeddingAddRowsRef(out, tokens, table, lo, N, C);
      return out.reduce((acc, v, i) => acc + v * R[i], 0);
    };
    const dtable0 = Float64Array.from(rng.floats(rows * C));
    const dtable = dtable0.slice();
    embeddingRowsBackwardRef(dtable, R, tokens, lo, N, C);
    expectGradient('embedding row range dwte', loss, table, dtable.map((v, i) => v - dtable0[i]));
  });

  it("the ranges' gradients, joined, are the unsplit table's gradient", () => {
    const [N, T, C] = [9, 3, 4];
    const ranges = [4, 4, 3];
    const V = 11;
    const lo = offsets(ranges);
    const rng = new Random(6);
    const tokens = Uint32Array.from({ length: N }, () => Math.floor(rng.next() * V));
    const dout = rng.floats(N * C);
    const whole = new Float64Array(V * C);
    embeddingBackwardRef(whole, null, dout, tokens, N, T, C);
    const joined = new Float64Array(V * C);
    ranges.forEach((rows, k) => embeddingRowsBackwardRef(joined.subarray(lo[k] * C, (lo[k] + rows) * C), dout, tokens, lo[k], N, C));
    expectClose([compareArrays('joined range gradients', joined, whole, 0)]);
  });
});
