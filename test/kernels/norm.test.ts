import { describe, it } from 'vitest';
import type { Gpu, KernelVariant } from '../../src/gpu/gpu';
import type { Encoder } from '../../src/gpu/encoder';
import { layernormBackward, layernormForward, rmsnormBackward, rmsnormForward } from '../../src/engine/ops/norm';
import { layernormBackwardRef, layernormForwardRef, rmsnormBackwardRef, rmsnormForwardRef } from '../../src/engine/ref/norm';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu, VARIANTS, withVariant } from '../gpu';
import { expectGradient } from '../finite-diff';

// C straddles the 256-wide row workgroup (130, 300, 513), the 32-channel dparams tile (1, 7, 33, 65)
// and the 64-wide serial workgroup (65); N = 67 spans two serial row workgroups; N = 1 and C = 1 are
// the degenerate edges.
const SHAPES: Array<[N: number, C: number]> = [
  [1, 1],
  [3, 7],
  [17, 32],
  [33, 65],
  [5, 130],
  [2, 300],
  [9, 513],
  [67, 9],
];


// Each output is a short chain of f32 operations on a row statistic that is a sum of C terms: the
// statistic's rounding grows like C·2⁻²⁴ (relative) whether one invocation adds the C terms in
// sequence (serial) or 256 of them add strided shares and a tree (parallel); the rest is a few ulps
// of O(1) values.
const tolerance = (C: number) => 1e-7 * (C + 16);
// dweight and dbias are sums over N rows of terms up to about 3 in size: N · 3 · 2⁻²⁴ and some ulps.
const sumTolerance = (N: number) => 4e-7 * (N + 8);

/** Uploads `inputs`, records `record`, and reads back the buffers named in `outputs`. */
async function onGpu(
  gpu: Gpu,
  inputs: Record<string, Float32Array>,
  record: (enc: Encoder, b: Record<string, GPUBuffer>) => void,
  outputs: string[],
): Promise<Record<string, Float32Array>> {
  const b: Record<string, GPUBuffer> = {};
  for (const [name, data] of Object.entries(inputs)) b[name] = gpu.upload(name, data);
  await gpu.run('norm test', (enc) => record(enc, b));
  const got: Record<string, Float32Array> = {};
  for (const name of outputs) got[name] = await gpu.readF32(b[name], inputs[name].length);
  Object.values(b).forEach((buffer) => buffer.destroy());
  return got;
}

function inputs(seed: number, N: number, C: number, offset: number) {
  const rng = new Random(seed);
  return {
    inp: rng.floats(N * C, offset - 1, offset + 1),
    weight: rng.floats(C, -1.5, 1.5),
    bias: rng.floats(C),
    dout: rng.floats(N * C),
    // Gradients start from random values: backward must add into them.
    dinp0: rng.floats(N * C),
    dweight0: rng.floats(C),
    dbias0: rng.floats(C),
  };
}

describe('rmsnorm on WebGPU matches its CPU reference', () => {
  it.each(VARIANTS)(`%s: forward and backward (+=) on ${SHAPES.length} shapes`, async (variant) => {
    const gpu = await testGpu();
    expectClose(await withVariant(gpu, variant, () => rmsnormCases(gpu, variant)));
  });
});

describe('layernorm on WebGPU matches its CPU reference', () => {
  it.each(VARIANTS)(`%s: forward and backward (+=) on ${SHAPES.length} shapes`, async (variant) => {
    const gpu = await testGpu();
    expectClose(await withVariant(gpu, variant, () => layernormCases(gpu, variant)));
  });
});

async function rmsnormCases(gpu: Gpu, variant: KernelVariant): Promise<Comparison[]> {
  const results: Comparison[] = [];
  const eps = 1e-6;
  for (const [N, C] of SHAPES) {
    const x = inputs(N * 1000 + C, N, C, 0);
    const out = new Float32Array(N * C);
    const rstd = new Float32Array(N);
    rmsnormForwardRef(out, rstd, x.inp, x.weight, N, C, eps);
    const fwd = await onGpu(
      gpu,
      { out: new Float32Array(N * C), rstd: new Float32Array(N), inp: x.inp, weight: x.weight },
      (enc, b) => rmsnormForward(enc, b.out, b.rstd, b.inp, b.weight, N, C, eps),
      ['out', 'rstd'],
    );
    const at = `${variant} N=${N} C=${C}`;
    results.push(compareArrays(`forward out ${at}`, fwd.out, out, tolerance(C)));
    // rstd = 1/rms is up to ~3 for U(-1, 1) inputs (larger for C = 1): compare relatively.
    results.push(compareArrays(`forward rstd/rstd_ref ${at}`, fwd.rstd.map((v, i) => v / rstd[i]), rstd.map(() => 1), tolerance(C)));

    // One run with dweight, one without: the null variant must leave nothing else touched.
    for (const withWeight of [true, false]) {
      const dinp = x.dinp0.slice();
      const dweight = x.dweight0.slice();
      rmsnormBackwardRef(dinp, withWeight ? dweight : null, x.dout, x.inp, x.weight, rstd, N, C);
      const bwd = await onGpu(
        gpu,
        { dinp: x.dinp0, dweight: x.dweight0, dout: x.dout, inp: x.inp, weight: x.weight, rstd },
        (enc, b) => rmsnormBackward(enc, b.dinp, withWeight ? b.dweight : null, b.dout, b.inp, b.weight, b.rstd, N, C),
        ['dinp', 'dweight'],
      );
      const tag = withWeight ? '' : ' (dweight null)';
      results.push(compareArrays(`backward dinp${tag} ${at}`, bwd.dinp, dinp, tolerance(C)));
      results.push(compareArrays(`backward dweight${tag} ${at}`, bwd.dweight, dweight, sumTolerance(N)));
    }
  }
  return results;
}

async function layernormCases(gpu: Gpu, variant: KernelVariant): Promise<Comparison[]> {
  const results: Comparison[] = [];
  const eps = 1e-5;
  for (const [N, C] of SHAPES) {
    // Inputs centred on 3 so that the mean subtraction matters.
    const x = inputs(N * 2000 + C, N, C, 3);
    const out = new Float32Array(N * C);
    const mean = new Float32Array(N);
    const rstd = new Float32Array(N);
    layernormForwardRef(out, mean, rstd, x.inp, x.weight, x.bias, N, C, eps);
    const fwd = await onGpu(
      gpu,
      { out: new Float32Array(N * C), mean: new Float32Array(N), rstd: new Float32Array(N), inp: x.inp, weight: x.weight, bias: x.bias },
      (enc, b) => layernormForward(enc, b.out, b.mean, b.rstd, b.inp, b.weight, b.bias, N, C, eps),
      ['out', 'mean', 'rstd'],
    );
    const at = `${variant} N=${N} C=${C}`;
    // The mean of values near 3 carries their absolute rounding, 3 · C · 2⁻²⁴.
    results.push(compareArrays(`forward out ${at}`, fwd.out, out, 4 * tolerance(C)));
    results.push(compareArrays(`forward mean ${at}`, fwd.mean, mean, 4 * tolerance(C)));
    // With C = 1 the variance is 0 and rstd = 1/sqrt(eps) ≈ 316: compare relatively.
    results.push(compareArrays(`forward rstd/rstd_ref ${at}`, fwd.rstd.map((v, i) => v / rstd[i]), rstd.map(() => 1), 4 * tolerance(C)));

    const gradients: Array<[string, boolean, boolean]> = [
      ['', true, true],
      [' (dweight null)', false, true],
      [' (dbias null)', true, false],
      [' (both null)', false, false],
    ];
    for (const [tag, withWeight, withBias] of gradients) {
      const dinp = x.dinp0.slice();
      const dweight = x.dweight0.slice();
      const dbias = x.dbias0.slice();
      layernormBackwardRef(dinp, withWeight ? dweight : null, withBias ? dbias : null, x.dout, x.inp, x.weight, mean, rstd, N, C);
      const bwd = await onGpu(
        gpu,
        { dinp: x.dinp0, dweight: x.dweight0, dbias: x.dbias0, dout: x.dout, inp: x.inp, weight: x.weight, mean, rstd },
        (enc, b) =>
          layernormBackward(enc, b.dinp, withWeight ? b.dweight : null, withBias ? b.dbias : null, b.dout, b.inp, b.weight, b.mean, b.rstd, N, C),
        ['dinp', 'dweight', 'dbias'],
      );
      // dinp scales with rstd, up to 316 for C = 1 (where the exact gradient is 0).
      const scale = Math.max(...rstd);
      results.push(compareArrays(`backward dinp${tag} ${at}`, bwd.dinp, dinp, tolerance(C) * scale));
      results.push(compareArrays(`backward dweight${tag} ${at}`, bwd.dweight, dweight, sumTolerance(N)));
      results.push(compareArrays(`backward dbias${tag} ${at}`, bwd.dbias, dbias, sumTolerance(N)));
    }
  }
  return results;
}

// ---- The CPU twins' backward against finite differences of their forward, in f64 -------------

const f64 = (a: Float32Array) => Float64Array.from(a);
/** Σ a ⊙ r: a random projection turns an output into a scalar loss with ∂L/∂a = r. */
const project = (a: Float64Array, r: Float64Array) => a.reduce((acc, v, i) => acc + v * r[i], 0);
/** What backward added on top of the random starting values. */
const added = (after: Float64Array, before: Float64Array) => after.map((v, i) => v - before[i]);

describe('norm CPU twins: backward matches finite differences', () => {
  for (const [N, C] of [[2, 1], [3, 7], [4, 9]] as const) {
    it(`rmsnorm N=${N} C=${C}`, () => {
      const rng = new Random(31 + C);
      const inp = f64(rng.floats(N * C));
      const weight = f64(rng.floats(C, -1.5, 1.5));
      const R = f64(rng.floats(N * C));
      const eps = 1e-6;
      const out = new Float64Array(N * C);
      const rstd = new Float64Array(N);
      const loss = () => {
        rmsnormForwardRef(out, rstd, inp, weight, N, C, eps);
        return project(out, R);
      };
      loss();
      const dinp0 = f64(rng.floats(N * C));
      const dweight0 = f64(rng.floats(C));
      const dinp = dinp0.slice();
      const dweight = dweight0.slice();
      rmsnormBackwardRef(dinp, dweight, R, inp, weight, rstd, N, C);
      expectGradient(`rmsnorm dinp N=${N} C=${C}`, loss, inp, added(dinp, dinp0));
      expectGradient(`rmsnorm dweight N=${N} C=${C}`, loss, weight, added(dweight, dweight0));
    });

    it(`layernorm N=${N} C=${C}`, () => {
      const rng = new Random(57 + C);
      const inp = f64(rng.floats(N * C, 2, 4));
      const weight = f64(rng.floats(C, -1.5, 1.5));
      const bias = f64(rng.floats(C));
      const R = f64(rng.floats(N * C));
      // A larger eps keeps the C = 1 case (variance 0, rstd = 1/sqrt(eps)) well conditioned for h = 1e-5.
      const eps = C === 1 ? 1e-2 : 1e-5;
      const out = new Float64Array(N * C);
      const mean = new Float64Array(N);
      const rstd = new Float64Array(N);
      const loss = () => {
        layernormForwardRef(out, mean, rstd, inp, weight, bias, N, C, eps);
        return project(out, R);
      };
      loss();
      const [dinp0, dweight0, dbias0] = [f64(rng.floats(N * C)), f64(rng.floats(C)), f64(rng.floats(C))];
      const [dinp, dweight, dbias] = [dinp0.slice(), dweight0.slice(), dbias0.slice()];
      layernormBackwardRef(dinp, dweight, dbias, R, inp, weight, mean, rstd, N, C);
      expectGradient(`layernorm dinp N=${N} C=${C}`, loss, inp, added(dinp, dinp0));
      expectGradient(`layernorm dweight N=${N} C=${C}`, loss, weight, added(dweight, dweight0));
      expectGradient(`layernorm dbias N=${N} C=${C}`, loss, bias, added(dbias, dbias0));
    });
  }
});
