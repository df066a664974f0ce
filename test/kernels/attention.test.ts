import { describe, it } from 'vitest';
import type { Gpu, KernelVariant } from '../../src/gpu/gpu';
import { attentionBackward, attentionForward, type AttentionShape } from '../../src/engine/ops/attention';
import { attentionBackwardRef, attentionForwardRef } from '../../src/engine/ref/attention';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu, VARIANTS, withVariant } from '../gpu';
import { expectGradient } from '../finite-diff';

// T crosses the 64-key block (65, 130) and the serial 8-row tiles (7, 33, 65, 70: partial last
// tiles); D above 64 exercises several dims per invocation; GQA groups of 1, 2, 3; B=3 T=70 H=4 needs
// more than one 64-invocation serial workgroup on both the query and the key side.
const SHAPES: AttentionShape[] = [
  { B: 1, T: 1, Hq: 1, Hkv: 1, D: 1 },
  { B: 2, T: 7, Hq: 4, Hkv: 2, D: 8 },
  { B: 1, T: 65, Hq: 3, Hkv: 1, D: 16 },
  { B: 2, T: 33, Hq: 6, Hkv: 2, D: 6 },
  { B: 1, T: 130, Hq: 2, Hkv: 2, D: 64 },
  { B: 1, T: 5, Hq: 2, Hkv: 1, D: 130 },
  { B: 3, T: 70, Hq: 4, Hkv: 4, D: 5 },
];


const name = (s: AttentionShape) => `B=${s.B} T=${s.T} Hq=${s.Hq} Hkv=${s.Hkv} D=${s.D}`;
const sizes = (s: AttentionShape) => ({ q: s.B * s.T * s.Hq * s.D, kv: s.B * s.T * s.Hkv * s.D, stat: s.B * s.Hq * s.T });

describe('attention on WebGPU matches its CPU reference', () => {
  it.each(VARIANTS)(`%s: forward (out and log-sum-exp) on ${SHAPES.length} shapes`, async (variant) => {
    const gpu = await testGpu();
    expectClose(await withVariant(gpu, variant, () => forwardCases(gpu, variant)));
  });

  it.each(VARIANTS)(`%s: backward (dq, dk, dv, accumulating) on ${SHAPES.length} shapes`, async (variant) => {
    const gpu = await testGpu();
    expectClose(await withVariant(gpu, variant, () => backwardCases(gpu, variant)));
  });
});

async function forwardCases(gpu: Gpu, variant: KernelVariant): Promise<Comparison[]> {
  const results: Comparison[] = [];
  for (const [index, s] of SHAPES.entries()) {
    const n = sizes(s);
    const rng = new Random(10 + index);
    const [q, k, v] = [rng.floats(n.q, -2, 2), rng.floats(n.kv, -2, 2), rng.floats(n.kv)];
    const [out, lse] = [new Float32Array(n.q), new Float32Array(n.stat)];
    attentionForwardRef(out, lse, q, k, v, s);
    // out and lse start as NaN: forward must overwrite them, never read what was there.
    const stale = (m: number) => new Float32Array(m).fill(NaN);
    const b = {
      q: gpu.upload('q', q),
      k: gpu.upload('k', k),
      v: gpu.upload('v', v),
      out: gpu.upload('out', stale(n.q)),
      lse: gpu.upload('lse', stale(n.stat)),
    };
    await gpu.run('attention forward', (enc) => attentionForward(enc, b.out, b.lse, b.q, b.k, b.v, s));
    results.push(compareArrays(`out ${variant} ${name(s)}`, await gpu.readF32(b.out, n.q), out, 2e-6 * Math.sqrt(s.D) + 1e-6));
    results.push(compareArrays(`lse ${variant} ${name(s)}`, await gpu.readF32(b.lse, n.stat), lse, 1e-5));
    Object.values(b).forEach((buffer) => buffer.destroy());
  }
  return results;
}

async function backwardCases(gpu: Gpu, variant: KernelVariant): Promise<Comparison[]> {
  const results: Comparison[] = [];
  for (const [index, s] of SHAPES.entries()) {
    const n = sizes(s);
    const rng = new Random(20 + index);
    const [q, k, v, dout] = [rng.floats(n.q, -2, 2), rng.floats(n.kv, -2, 2), rng.floats(n.kv), rng.floats(n.q)];
    const [dq0, dk0, dv0] = [rng.floats(n.q), rng.floats(n.kv), rng.floats(n.kv)];
    const [out, lse] = [new Float32Array(n.q), new Float32Array(n.stat)];
    attentionForwardRef(out, lse, q, k, v, s);
    const [dq, dk, dv] = [dq0.slice(), dk0.slice(), dv0.slice()];
    attentionBackwardRef(dq, dk, dv, dout, q, k, v, s);

    const b = {
      q: gpu.upload('q', q),
      k: gpu.upload('k', k),
      v: gpu.upload('v', v),
      out: gpu.upload('out', out),
      lse: gpu.upload('lse', lse),
      dout: gpu.upload('dout', dout),
      dq: gpu.upload('dq', dq0),
      dk: gpu.upload('dk', dk0),
      dv: gpu.upload('dv', dv0),
      delta: gpu.createBuffer('delta', n.stat * 4),
    };
    await gpu.run('attention backward', (enc) => attentionBackward(enc, b.dq, b.dk, b.dv, b.delta, b.dout, b.q, b.k, b.v, b.out, b.lse, s));
    // Gradients sum over up to T·(Hq/Hkv) terms of size ~√D.
    const tolerance = 4e-7 * Math.sqrt(s.D) * Math.sqrt(s.T * (s.Hq / s.Hkv)) + 1e-6;
    results.push(compareArrays(`dq ${variant} ${name(s)}`, await gpu.readF32(b.dq, n.q), dq, tolerance));
    results.push(compareArrays(`dk ${variant} ${name(s)}`, await gpu.readF32(b.dk, n.kv), dk, tolerance));
    results.push(compareArrays(`dv ${variant} ${name(s)}`, await gpu.readF32(b.dv, n.kv), dv, tolerance));
    Object.values(b).forEach((buffer) => buffer.destroy());
  }
  return results;
}

describe('the attention reference backward matches finite differences', () => {
  for (const s of [
    { B: 1, T: 5, Hq: 4, Hkv: 2, D: 3 },
    { B: 2, T: 4, Hq: 3, Hkv: 1, D: 4 },
  ]) {
    it(name(s), () => {
      const n = sizes(s);
      const rng = new Random(99);
      const f64 = (m: number) => Float64Array.from(rng.floats(m));
      const [q, k, v, weights] = [f64(n.q), f64(n.kv), f64(n.kv), f64(n.q)];
      // L = Σ out ⊙ weights, so dout = weights.
      const loss = () => {
        const out = new Float64Array(n.q);
        attentionForwardRef(out, new Float64Array(n.stat), q, k, v, s);
        return out.reduce((acc, o, i) => acc + o * weights[i], 0);
      };
      const [dq, dk, dv] = [new Float64Array(n.q), new Float64Array(n.kv), new Float64Array(n.kv)];
      attentionBackwardRef(dq, dk, dv, weights, q, k, v, s);
      expectGradient(`dq ${name(s)}`, loss, q, dq);
      expectGradient(`dk ${name(s)}`, loss, k, dk);
      expectGradient(`dv ${name(s)}`, loss, v, dv);
    });
  }
});
