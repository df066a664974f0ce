import { describe, it } from 'vitest';
import { positionBiasBackward, positionBiasForward, type PositionBiasShape } from '../../src/engine/ops/position-bias';
import { positionBiasBackwardRef, positionBiasForwardRef } from '../../src/engine/ref/position-bias';
import { pairBuckets } from '../../src/engine/ref/t5';
import { parseT5Config } from '../../src/model/t5-config';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu } from '../gpu';
import { expectGradient } from '../finite-diff';

// T5's defaults (32 buckets, max distance 128) on lengths past 128, so the last buckets fill up;
// cross-attention lengths (Tq ≠ Tk); a small table with odd heads; encoder (bidirectional) and
// decoder (unidirectional) buckets.
const CASES: Array<{ H: number; Tq: number; Tk: number; buckets: number; maxDistance: number; bidirectional: boolean }> = [
  { H: 1, Tq: 1, Tk: 1, buckets: 4, maxDistance: 8, bidirectional: true },
  { H: 3, Tq: 7, Tk: 5, buckets: 8, maxDistance: 10, bidirectional: true },
  { H: 8, Tq: 150, Tk: 150, buckets: 32, maxDistance: 128, bidirectional: true },
  { H: 6, Tq: 131, Tk: 131, buckets: 32, maxDistance: 128, bidirectional: false },
];

const name = (c: (typeof CASES)[number]) => `H=${c.H} Tq=${c.Tq} Tk=${c.Tk} buckets=${c.buckets} max=${c.maxDistance} ${c.bidirectional ? 'bidirectional' : 'unidirectional'}`;
const specOf = (c: (typeof CASES)[number]) => parseT5Config({ vocab_size: 8, d_model: 4, d_kv: 2, d_ff: 4, num_heads: c.H, num_layers: 1, relative_attention_num_buckets: c.buckets, relative_attention_max_distance: c.maxDistance });

describe('the relative position bias on WebGPU matches its CPU reference', () => {
  it(`gathers the bias and sums its gradient back into the table (accumulating) on ${CASES.length} shapes`, async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const [index, c] of CASES.entries()) {
      const s: PositionBiasShape = { H: c.H, Tq: c.Tq, Tk: c.Tk, buckets: c.buckets };
      const pairs = pairBuckets(specOf(c), c.Tq, c.Tk, c.bidirectional);
      const rng = new Random(40 + index);
      const [table, dbias, dtable0] = [rng.floats(c.buckets * c.H), rng.floats(c.H * c.Tq * c.Tk), rng.floats(c.buckets * c.H)];
      const bias = new Float32Array(c.H * c.Tq * c.Tk);
      positionBiasForwardRef(bias, table, pairs, s);
      const dtable = Float64Array.from(dtable0);
      positionBiasBackwardRef(dtable, dbias, pairs, s);
      const g = { table: gpu.upload('table', table), pairs: gpu.upload('pair buckets', pairs), bias: gpu.upload('bias', new Float32Array(bias.length).fill(NaN)), dbias: gpu.upload('dbias', dbias), dtable: gpu.upload('dtable', dtable0) };
      await gpu.run('position bias', (enc) => {
        positionBiasForward(enc, g.bias, g.table, g.pairs, s);
        positionBiasBackward(enc, g.dtable, g.dbias, g.pairs, s);
      });
      results.push(compareArrays(`bias ${name(c)}`, await gpu.readF32(g.bias, bias.length), bias, 0));
      // A table entry sums up to Tq·Tk gradients (in f32 blocks; the reference in f64): within 10⁻⁶ of
      // the largest sum, some sixteen f32 roundings of it.
      const largest = Math.max(...dtable.map(Math.abs));
      results.push(compareArrays(`dtable ${name(c)}`, await gpu.readF32(g.dtable, dtable.length), dtable, 1e-6 * largest + 1e-6));
      Object.values(g).forEach((buffer) => buffer.destroy());
    }
    expectClose(results);
  });

  it('uses every bucket a long sequence can reach, and the reference backward matches finite differences', () => {
    const c = CASES[2];
    const pairs = pairBuckets(specOf(c), c.Tq, c.Tk, true);
    // All but 16, the upper half's "distance 0", which a key after the query never has.
    const reachable = Float64Array.from({ length: 32 }, (_, k) => (k === 16 ? 0 : 1));
    expectClose([compareArrays('buckets used', Float64Array.from({ length: 32 }, (_, k) => (pairs.includes(k) ? 1 : 0)), reachable, 0)]);
    const small = CASES[1];
    const s = { H: small.H, Tq: small.Tq, Tk: small.Tk, buckets: small.buckets };
    const smallPairs = pairBuckets(specOf(small), small.Tq, small.Tk, true);
    const rng = new Random(7);
    const table = Float64Array.from(rng.floats(small.buckets * small.H));
    const weights = Float64Array.from(rng.floats(small.H * small.Tq * small.Tk));
    const loss = () => {
      const bias = new Float64Array(weights.length);
      positionBiasForwardRef(bias, table, smallPairs, s);
      return bias.reduce((acc, b, i) => acc + b * weights[i], 0);
    };
    const dtable = new Float64Array(table.length);
    positionBiasBackwardRef(dtable, weights, smallPairs, s);
    expectGradient('dtable', loss, table, dtable);
  });
});
