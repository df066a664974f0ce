import { describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import type { Encoder } from '../../src/gpu/encoder';
import { gegluBackward, gegluForward, geluBackward, geluForward, reluBackward, reluForward, swigluBackward, swigluForward } from '../../src/engine/ops/activation';
import { gegluBackwardRef, gegluForwardRef, geluBackwardRef, geluForwardRef, reluBackwardRef, reluForwardRef, swigluBackwardRef, swigluForwardRef } from '../../src/engine/ref/activation';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu } from '../gpu';
import { expectGradient } from '../finite-diff';

// Below one workgroup, across workgroup boundaries, and many workgroups.
const SIZES = [1, 7, 33, 257, 1025, 70_001];
// Arguments where a naive sigmoid or tanh overflows (exp(±2u) past f32's range) or saturates.
// Past ±5e12, x³ itself overflows f32.
const EXTREMES = [0, 8, -8, 30, -30, 100, -100, 1e4, -1e4, 1e12, -1e12, 1e20, -1e20];

// A few f32 operations plus one exp, whose WGSL precision is a few ulps for these arguments: errors
// are measured relative to max(1, |reference|), so large outputs (up to 1e20 here) are held to
// their ulps too.
const TOLERANCE = 1e-6;

function relativeTo(name: string, got: Float32Array, want: Float32Array): Comparison {
  const scaled = (a: Float32Array) => Array.from(a, (v, i) => v / Math.max(1, Math.abs(want[i])));
  return compareArrays(`${name} (relative to max(1, |ref|))`, scaled(got), scaled(want), TOLERANCE);
}

/** n values U(-6, 6) with the extremes at the front (as many as fit). */
function activationInputs(rng: Random, n: number): Float32Array {
  const x = rng.floats(n, -6, 6);
  x.set(EXTREMES.slice(0, n));
  return x;
}

async function onGpu(
  gpu: Gpu,
  inputs: Record<string, Float32Array>,
  record: (enc: Encoder, b: Record<string, GPUBuffer>) => void,
  outputs: string[],
): Promise<Record<string, Float32Array>> {
  const b: Record<string, GPUBuffer> = {};
  for (const [name, data] of Object.entries(inputs)) b[name] = gpu.upload(name, data);
  await gpu.run('activation test', (enc) => record(enc, b));
  const got: Record<string, Float32Array> = {};
  for (const name of outputs) got[name] = await gpu.readF32(b[name], inputs[name].length);
  Object.values(b).forEach((buffer) => buffer.destroy());
  return got;
}

describe('activations on WebGPU match their CPU references', () => {
  it(`swiglu forward and backward (+=) on ${SIZES.length} sizes`, async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const n of SIZES) {
      const rng = new Random(n);
      const gate = activationInputs(rng, n);
      const up = rng.floats(n, -2, 2);
      const dout = rng.floats(n);
      const dgate0 = rng.floats(n);
      const dup0 = rng.floats(n);

      const out = new Float32Array(n);
      swigluForwardRef(out, gate, up, n);
      const fwd = await onGpu(gpu, { out: new Float32Array(n), gate, up }, (enc, b) => swigluForward(enc, b.out, b.gate, b.up, n), ['out']);
      results.push(relativeTo(`swiglu forward n=${n}`, fwd.out, out));

      const [dgate, dup] = [dgate0.slice(), dup0.slice()];
      swigluBackwardRef(dgate, dup, dout, gate, up, n);
      const bwd = await onGpu(
        gpu,
        { dgate: dgate0, dup: dup0, dout, gate, up },
        (enc, b) => swigluBackward(enc, b.dgate, b.dup, b.dout, b.gate, b.up, n),
        ['dgate', 'dup'],
      );
      results.push(relativeTo(`swiglu backward dgate n=${n}`, bwd.dgate, dgate));
      results.push(relativeTo(`swiglu backward dup n=${n}`, bwd.dup, dup));
    }
    expectClose(results);
  });

  it(`gelu forward and backward (+=) on ${SIZES.length} sizes`, async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const n of SIZES) {
      const rng = new Random(3 * n + 1);
      const inp = activationInputs(rng, n);
      const dout = rng.floats(n);
      const dinp0 = rng.floats(n);

      const out = new Float32Array(n);
      geluForwardRef(out, inp, n);
      const fwd = await onGpu(gpu, { out: new Float32Array(n), inp }, (enc, b) => geluForward(enc, b.out, b.inp, n), ['out']);
      results.push(relativeTo(`gelu forward n=${n}`, fwd.out, out));

      const dinp = dinp0.slice();
      geluBackwardRef(dinp, dout, inp, n);
      const bwd = await onGpu(gpu, { dinp: dinp0, dout, inp }, (enc, b) => geluBackward(enc, b.dinp, b.dout, b.inp, n), ['dinp']);
      results.push(relativeTo(`gelu backward dinp n=${n}`, bwd.dinp, dinp));
    }
    expectClose(results);
  });
});

describe('the activations of T5 on WebGPU match their CPU references', () => {
  it(`geglu forward and backward (+=) on ${SIZES.length} sizes`, async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const n of SIZES) {
      const rng = new Random(5 * n + 2);
      const gate = activationInputs(rng, n);
      const up = rng.floats(n, -2, 2);
      const [dout, dgate0, dup0] = [rng.floats(n), rng.floats(n), rng.floats(n)];
      const out = new Float32Array(n);
      gegluForwardRef(out, gate, up, n);
      const fwd = await onGpu(gpu, { out: new Float32Array(n), gate, up }, (enc, b) => gegluForward(enc, b.out, b.gate, b.up, n), ['out']);
      results.push(relativeTo(`geglu forward n=${n}`, fwd.out, out));
      const [dgate, dup] = [dgate0.slice(), dup0.slice()];
      gegluBackwardRef(dgate, dup, dout, gate, up, n);
      const bwd = await onGpu(gpu, { dgate: dgate0, dup: dup0, dout, gate, up }, (enc, b) => gegluBackward(enc, b.dgate, b.dup, b.dout, b.gate, b.up, n), ['dgate', 'dup']);
      results.push(relativeTo(`geglu backward dgate n=${n}`, bwd.dgate, dgate));
      results.push(relativeTo(`geglu backward dup n=${n}`, bwd.dup, dup));
    }
    expectClose(results);
  });

  it(`relu forward and backward (+=) on ${SIZES.length} sizes, with exact zeros`, async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const n of SIZES) {
      const rng = new Random(7 * n + 3);
      const inp = activationInputs(rng, n);
      // Exact zeros, whose gradient is 0 as PyTorch's.
      for (let i = EXTREMES.length; i < n; i += 5) inp[i] = 0;
      const [dout, dinp0] = [rng.floats(n), rng.floats(n)];
      const out = new Float32Array(n);
      reluForwardRef(out, inp, n);
      const fwd = await onGpu(gpu, { out: new Float32Array(n).fill(NaN), inp }, (enc, b) => reluForward(enc, b.out, b.inp, n), ['out']);
      results.push(compareArrays(`relu forward n=${n}`, fwd.out, out, 0));
      const dinp = dinp0.slice();
      reluBackwardRef(dinp, dout, inp, n);
      const bwd = await onGpu(gpu, { dinp: dinp0, dout, inp }, (enc, b) => reluBackward(enc, b.dinp, b.dout, b.inp, n), ['dinp']);
      results.push(compareArrays(`relu backward dinp n=${n}`, bwd.dinp, dinp, 0));
    }
    expectClose(results);
  });
});

// ---- The CPU twins' backward against finite differences of their forward, in f64 -------------

const f64 = (a: Float32Array) => Float64Array.from(a);
const project = (a: Float64Array, r: Float64Array) => a.reduce((acc, v, i) => acc + v * r[i], 0);
const added = (after: Float64Array, before: Float64Array) => after.map((v, i) => v - before[i]);

describe('activation CPU twins: backward matches finite differences', () => {
  // Finite differences need smooth, moderate arguments: U(-6, 6) covers both tails' bends.
  const n = 48;

  it('swiglu', () => {
    const rng = new Random(11);
    const gate = f64(rng.floats(n, -6, 6));
    const up = f64(rng.floats(n, -2, 2));
    const R = f64(rng.floats(n));
    const out = new Float64Array(n);
    const loss = () => {
      swigluForwardRef(out, gate, up, n);
      return project(out, R);
    };
    const [dgate0, dup0] = [f64(rng.floats(n)), f64(rng.floats(n))];
    const [dgate, dup] = [dgate0.slice(), dup0.slice()];
    swigluBackwardRef(dgate, dup, R, gate, up, n);
    expectGradient('swiglu dgate', loss, gate, added(dgate, dgate0));
    expectGradient('swiglu dup', loss, up, added(dup, dup0));
  });

  it('gelu', () => {
    const rng = new Random(12);
    const inp = f64(rng.floats(n, -6, 6));
    const R = f64(rng.floats(n));
    const out = new Float64Array(n);
    const loss = () => {
      geluForwardRef(out, inp, n);
      return project(out, R);
    };
    const dinp0 = f64(rng.floats(n));
    const dinp = dinp0.slice();
    geluBackwardRef(dinp, R, inp, n);
    expectGradient('gelu dinp', loss, inp, added(dinp, dinp0));
  });

  it('geglu', () => {
    const rng = new Random(13);
    const gate = f64(rng.floats(n, -6, 6));
    const up = f64(rng.floats(n, -2, 2));
    const R = f64(rng.floats(n));
    const out = new Float64Array(n);
    const loss = () => {
      gegluForwardRef(out, gate, up, n);
      return project(out, R);
    };
    const [dgate0, dup0] = [f64(rng.floats(n)), f64(rng.floats(n))];
    const [dgate, dup] = [dgate0.slice(), dup0.slice()];
    gegluBackwardRef(dgate, dup, R, gate, up, n);
    expectGradient('geglu dgate', loss, gate, added(dgate, dgate0));
    expectGradient('geglu dup', loss, up, added(dup, dup0));
  });

  it('relu (away from its kink at 0)', () => {
    const rng = new Random(14);
    // |x| ≥ 0.1, so x ± h never crosses 0.
    const inp = f64(rng.floats(n, -6, 6)).map((x) => (Math.abs(x) < 0.1 ? x + Math.sign(x || 1) * 0.1 : x));
    const R = f64(rng.floats(n));
    const out = new Float64Array(n);
    const loss = () => {
      reluForwardRef(out, inp, n);
      return project(out, R);
    };
    const dinp0 = f64(rng.floats(n));
    const dinp = dinp0.slice();
    reluBackwardRef(dinp, R, inp, n);
    expectGradient('relu dinp', loss, inp, added(dinp, dinp0));
  });
});
