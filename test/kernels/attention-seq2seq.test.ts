import { describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import { seq2seqAttentionBackward, seq2seqAttentionForward, type Seq2SeqAttentionShape } from '../../src/engine/ops/attention-seq2seq';
import { seq2seqAttentionBackwardRef, seq2seqAttentionForwardRef, type Seq2SeqAttentionArrays } from '../../src/engine/ref/attention-seq2seq';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu } from '../gpu';
import { expectGradient } from '../finite-diff';

interface Case {
  shape: Seq2SeqAttentionShape;
  bias: boolean;
  /** Keys masked out per example: the last `n` (padding), and for one example every key. */
  padded: number[];
}

// Cross-attention shapes (Tq ≠ Tk, some padded keys, one example seeing no key at all), causal and
// bidirectional self-attention with T5's unscaled scores and a bias, more rows than one 64-wide
// workgroup, D above 64.
const CASES: Case[] = [
  { shape: { B: 1, Tq: 1, Tk: 1, H: 1, D: 1, scale: 1, causal: false }, bias: false, padded: [0] },
  { shape: { B: 2, Tq: 5, Tk: 7, H: 3, D: 4, scale: 1, causal: false }, bias: false, padded: [2, 0] },
  { shape: { B: 3, Tq: 6, Tk: 6, H: 2, D: 5, scale: 1, causal: false }, bias: true, padded: [0, 3, 6] },
  { shape: { B: 2, Tq: 9, Tk: 9, H: 2, D: 3, scale: 1, causal: true }, bias: true, padded: [0, 0] },
  { shape: { B: 2, Tq: 33, Tk: 70, H: 3, D: 8, scale: 0.5, causal: false }, bias: true, padded: [5, 0] },
  { shape: { B: 1, Tq: 4, Tk: 3, H: 1, D: 130, scale: 1 / Math.sqrt(130), causal: false }, bias: false, padded: [1] },
];

const name = (c: Case) => `B=${c.shape.B} Tq=${c.shape.Tq} Tk=${c.shape.Tk} H=${c.shape.H} D=${c.shape.D}${c.shape.causal ? ' causal' : ''}${c.bias ? ' bias' : ''} padded ${c.padded.join(',')}`;
const sizes = (s: Seq2SeqAttentionShape) => ({ q: s.B * s.Tq * s.H * s.D, kv: s.B * s.Tk * s.H * s.D, stat: s.B * s.H * s.Tq, bias: s.H * s.Tq * s.Tk });

function inputs(c: Case, seed: number): Seq2SeqAttentionArrays {
  const s = c.shape;
  const n = sizes(s);
  const rng = new Random(seed);
  const mask = new Float32Array(s.B * s.Tk).fill(1);
  c.padded.forEach((pad, b) => mask.fill(0, b * s.Tk + s.Tk - pad, (b + 1) * s.Tk));
  return { q: rng.floats(n.q, -2, 2), k: rng.floats(n.kv, -2, 2), v: rng.floats(n.kv), bias: c.bias ? rng.floats(n.bias, -2, 2) : null, mask };
}

function upload(gpu: Gpu, x: Seq2SeqAttentionArrays) {
  return { q: gpu.upload('q', x.q as Float32Array), k: gpu.upload('k', x.k as Float32Array), v: gpu.upload('v', x.v as Float32Array), bias: x.bias ? gpu.upload('bias', x.bias as Float32Array) : null, mask: gpu.upload('mask', x.mask as Float32Array) };
}

describe('seq2seq attention on WebGPU matches its CPU reference', () => {
  it(`forward (out and log-sum-exp) on ${CASES.length} shapes`, async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const [index, c] of CASES.entries()) {
      const s = c.shape;
      const n = sizes(s);
      const x = inputs(c, 10 + index);
      const [out, lse] = [new Float32Array(n.q), new Float32Array(n.stat)];
      seq2seqAttentionForwardRef(out, lse, x, s);
      const b = upload(gpu, x);
      // out and lse start as NaN: forward must overwrite them.
      const gOut = gpu.upload('out', new Float32Array(n.q).fill(NaN));
      const gLse = gpu.upload('lse', new Float32Array(n.stat).fill(NaN));
      await gpu.run('seq2seq attention forward', (enc) => seq2seqAttentionForward(enc, gOut, gLse, b, s));
      results.push(compareArrays(`out ${name(c)}`, await gpu.readF32(gOut, n.q), out, 2e-6 * Math.sqrt(s.D) + 1e-6));
      results.push(compareArrays(`lse ${name(c)}`, await gpu.readF32(gLse, n.stat), lse, 1e-5));
      [gOut, gLse, b.q, b.k, b.v, b.mask, b.bias].forEach((buffer) => buffer?.destroy());
    }
    expectClose(results);
  });

  it(`backward (dq, dk, dv, dbias, accumulating) on ${CASES.length} shapes`, async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const [index, c] of CASES.entries()) {
      const s = c.shape;
      const n = sizes(s);
      const x = inputs(c, 20 + index);
      const rng = new Random(30 + index);
      const dout = rng.floats(n.q);
      const start = { dq: rng.floats(n.q), dk: rng.floats(n.kv), dv: rng.floats(n.kv), dbias: rng.floats(n.bias) };
      const [out, lse] = [new Float32Array(n.q), new Float32Array(n.stat)];
      seq2seqAttentionForwardRef(out, lse, x, s);
      const want = { dq: start.dq.slice(), dk: start.dk.slice(), dv: start.dv.slice(), dbias: c.bias ? start.dbias.slice() : null };
      seq2seqAttentionBackwardRef(want, dout, x, s);

      const b = upload(gpu, x);
      const g = {
        dq: gpu.upload('dq', start.dq),
        dk: gpu.upload('dk', start.dk),
        dv: gpu.upload('dv', start.dv),
        dbias: c.bias ? gpu.upload('dbias', start.dbias) : null,
        delta: gpu.createBuffer('delta', n.stat * 4),
      };
      const [gDout, gOut, gLse] = [gpu.upload('dout', dout), gpu.upload('out', out), gpu.upload('lse', lse)];
      await gpu.run('seq2seq attention backward', (enc) => seq2seqAttentionBackward(enc, g, gDout, gOut, gLse, b, s));
      // Gradients sum over up to Tk (or Tq, or B·Tq) terms of size ~√D.
      const tolerance = 4e-7 * Math.sqrt(s.D) * Math.sqrt(Math.max(s.Tq, s.Tk) * s.B) + 1e-6;
      results.push(compareArrays(`dq ${name(c)}`, await gpu.readF32(g.dq, n.q), want.dq, tolerance));
      results.push(compareArrays(`dk ${name(c)}`, await gpu.readF32(g.dk, n.kv), want.dk, tolerance));
      results.push(compareArrays(`dv ${name(c)}`, await gpu.readF32(g.dv, n.kv), want.dv, tolerance));
      if (g.dbias) results.push(compareArrays(`dbias ${name(c)}`, await gpu.readF32(g.dbias, n.bias), want.dbias!, tolerance));
      [gDout, gOut, gLse, b.q, b.k, b.v, b.mask, b.bias, g.dq, g.dk, g.dv, g.dbias, g.delta].forEach((buffer) => buffer?.destroy());
    }
    expectClose(results);
  });
});

describe('the seq2seq attention reference backward matches finite differences', () => {
  for (const c of [CASES[2], CASES[3], { shape: { B: 2, Tq: 3, Tk: 5, H: 2, D: 3, scale: 0.7, causal: false }, bias: true, padded: [1, 2] }]) {
    it(name(c), () => {
      const s = c.shape;
      const n = sizes(s);
      const rng = new Random(99);
      const f64 = (m: number) => Float64Array.from(rng.floats(m));
      const x = { ...inputs(c, 5), q: f64(n.q), k: f64(n.kv), v: f64(n.kv), bias: f64(n.bias) };
      const weights = f64(n.q);
      // L = Σ out ⊙ weights, so dout = weights.
      const loss = () => {
        const out = new Float64Array(n.q);
        seq2seqAttentionForwardRef(out, new Float64Array(n.stat), x, s);
        return out.reduce((acc, o, i) => acc + o * weights[i], 0);
      };
      const grads = { dq: new Float64Array(n.q), dk: new Float64Array(n.kv), dv: new Float64Array(n.kv), dbias: new Float64Array(n.bias) };
      seq2seqAttentionBackwardRef(grads, weights, x, s);
      expectGradient(`dq ${name(c)}`, loss, x.q, grads.dq);
      expectGradient(`dk ${name(c)}`, loss, x.k, grads.dk);
      expectGradient(`dv ${name(c)}`, loss, x.v, grads.dv);
      expectGradient(`dbias ${name(c)}`, loss, x.bias, grads.dbias);
    });
  }
});
