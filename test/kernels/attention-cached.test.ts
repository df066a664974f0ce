import { describe, expect, it } from 'vitest';
import { cachedAttentionForward, type CachedAttentionShape } from '../../src/engine/ops/attention-cached';
import { cachedAttentionForwardRef } from '../../src/engine/ref/attention-cached';
import { attentionForwardRef } from '../../src/engine/ref/attention';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu } from '../gpu';

// A first prefill (start 0), decode steps (Tq 1) deep into the cache, a prefill chunk after earlier
// rows; GQA groups of 1, 2, 3; more rows than one 64-wide workgroup; D above 64; with and without a
// bias; a cache longer than the rows in use (its tail must not be read).
const SHAPES: Array<CachedAttentionShape & { bias: boolean; spare: number }> = [
  { Tq: 1, start: 0, Hq: 1, Hkv: 1, D: 1, scale: 1, bias: false, spare: 0 },
  { Tq: 7, start: 0, Hq: 4, Hkv: 2, D: 8, scale: 1 / Math.sqrt(8), bias: false, spare: 3 },
  { Tq: 1, start: 69, Hq: 6, Hkv: 2, D: 6, scale: 1 / Math.sqrt(6), bias: false, spare: 5 },
  { Tq: 5, start: 11, Hq: 3, Hkv: 1, D: 16, scale: 0.25, bias: true, spare: 2 },
  { Tq: 33, start: 2, Hq: 2, Hkv: 2, D: 5, scale: 1, bias: true, spare: 0 },
  { Tq: 1, start: 4, Hq: 2, Hkv: 1, D: 130, scale: 1 / Math.sqrt(130), bias: false, spare: 1 },
];

const name = (s: CachedAttentionShape & { bias: boolean }) => `Tq=${s.Tq} start=${s.start} Hq=${s.Hq} Hkv=${s.Hkv} D=${s.D}${s.bias ? ' bias' : ''}`;

describe('cached attention on WebGPU matches its CPU reference', () => {
  it(`forward on ${SHAPES.length} shapes`, async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const [index, s] of SHAPES.entries()) {
      const keys = s.start + s.Tq;
      const rng = new Random(40 + index);
      const q = rng.floats(s.Tq * s.Hq * s.D, -2, 2);
      // The spare rows past start + Tq hold NaN: reading them would spoil every output.
      const cache = () => {
        const values = new Float32Array((keys + s.spare) * s.Hkv * s.D).fill(NaN);
        values.set(rng.floats(keys * s.Hkv * s.D, -2, 2));
        return values;
      };
      const [k, v] = [cache(), cache()];
      const bias = s.bias ? rng.floats(s.Hq * s.Tq * keys, -2, 2) : null;
      const want = new Float32Array(q.length);
      cachedAttentionForwardRef(want, q, k, v, bias, s);
      const b = { q: gpu.upload('q', q), k: gpu.upload('k', k), v: gpu.upload('v', v), out: gpu.upload('out', new Float32Array(q.length).fill(NaN)), bias: bias && gpu.upload('bias', bias) };
      await gpu.run('cached attention', (enc) => cachedAttentionForward(enc, b.out, b.q, b.k, b.v, b.bias, s));
      results.push(compareArrays(name(s), await gpu.readF32(b.out, q.length), want, 2e-6 * Math.sqrt(s.D) + 1e-6));
      for (const buffer of Object.values(b)) buffer?.destroy();
    }
    expectClose(results);
  });

  it('the reference equals full causal attention on the rows it computes', () => {
    // Rows start .. start + Tq of causal attention over the whole sequence are what the cache gives.
    const s = { B: 1, T: 9, Hq: 4, Hkv: 2, D: 3 };
    const rng = new Random(7);
    const [q, k, v] = [rng.floats(s.T * s.Hq * s.D, -2, 2), rng.floats(s.T * s.Hkv * s.D, -2, 2), rng.floats(s.T * s.Hkv * s.D)];
    const full = new Float32Array(q.length);
    attentionForwardRef(full, new Float32Array(s.Hq * s.T), q, k, v, s);
    const start = 5;
    const rows = s.T - start;
    const cached = new Float32Array(rows * s.Hq * s.D);
    cachedAttentionForwardRef(cached, q.subarray(start * s.Hq * s.D), k, v, null, { Tq: rows, start, Hq: s.Hq, Hkv: s.Hkv, D: s.D, scale: 1 / Math.sqrt(s.D) });
    const tail = full.subarray(start * s.Hq * s.D);
    cached.forEach((value, i) => expect(value).toBeCloseTo(tail[i], 6));
  });

  it('refuses a cache shorter than the rows it attends to', async () => {
    const gpu = await testGpu();
    const small = gpu.createBuffer('k', 4 * 4);
    const q = gpu.createBuffer('q', 4 * 4);
    await expect(gpu.run('cached attention', (enc) => cachedAttentionForward(enc, q, q, small, small, null, { Tq: 1, start: 4, Hq: 1, Hkv: 1, D: 4, scale: 1 }))).rejects.toThrow(/kCache/);
    small.destroy();
    q.destroy();
  });
});
