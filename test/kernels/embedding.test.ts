import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import type { Encoder } from '../../src/gpu/encoder';
import { embeddingBackward, embeddingForward } from '../../src/engine/ops/embedding';
import { embeddingBackwardRef, embeddingForwardRef } from '../../src/engine/ref/embedding';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu } from '../gpu';
import { expectGradient } from '../finite-diff';

// N = B·T rows. Small vocabularies (V = 5) repeat tokens many times in a batch; T > N leaves
// positions unused; N = 7, T = 3 is not a whole number of sequences; C straddles 256.
const SHAPES: Array<[N: number, T: number, C: number, V: number]> = [
  [1, 1, 1, 5],
  [3, 3, 7, 5],
  [16, 8, 32, 257],
  [33, 11, 65, 1000],
  [12, 4, 300, 5],
  [5, 7, 3, 9],
  [7, 3, 9, 17],
];
/** wpe holds more positions than T, as a model's table does: only the first T may be touched. */
const EXTRA_POSITIONS = 3;

// Values are U(-1, 1). Forward adds two f32 numbers, as the reference rounds its f64 sum once: 1 ulp
// at most. dwte adds row by row in the same order as the reference. dwpe sums the N/T rows of a
// position in a register before adding, a different order: N/T + 1 roundings of values below N/T + 1.
const FORWARD_TOLERANCE = 2.4e-7;
const dwpeTolerance = (N: number, T: number) => 1.2e-7 * (N / T + 2) ** 2;

async function onGpu(
  gpu: Gpu,
  inputs: Record<string, Float32Array | Uint32Array>,
  record: (enc: Encoder, b: Record<string, GPUBuffer>) => void,
  outputs: string[],
): Promise<Record<string, Float32Array>> {
  const b: Record<string, GPUBuffer> = {};
  for (const [name, data] of Object.entries(inputs)) b[name] = gpu.upload(name, data);
  await gpu.run('embedding test', (enc) => record(enc, b));
  const got: Record<string, Float32Array> = {};
  for (const name of outputs) got[name] = await gpu.readF32(b[name], inputs[name].length);
  Object.values(b).forEach((buffer) => buffer.destroy());
  return got;
}

describe('embedding on WebGPU matches its CPU reference', () => {
  it(`forward with and without positions, backward (+=) into each table, on ${SHAPES.length} shapes`, async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const [N, T, C, V] of SHAPES) {
      const rng = new Random(N * 131 + C);
      const tokens = Uint32Array.from({ length: N }, () => Math.floor(rng.next() * V));
      const P = T + EXTRA_POSITIONS;
      const wte = rng.floats(V * C);
      const wpe = rng.floats(P * C);
      const dout = rng.floats(N * C);
      const dwte0 = rng.floats(V * C);
      const dwpe0 = rng.floats(P * C);
      const shape = `N=${N} T=${T} C=${C} V=${V}`;

      for (const withWpe of [true, false]) {
        const out = new Float32Array(N * C);
        embeddingForwardRef(out, tokens, wte, withWpe ? wpe : null, N, T, C);
        const fwd = await onGpu(
          gpu,
          { out: new Float32Array(N * C), tokens, wte, wpe },
          (enc, b) => embeddingForward(enc, b.out, b.tokens, b.wte, withWpe ? b.wpe : null, N, T, C),
          ['out'],
        );
        results.push(compareArrays(`forward${withWpe ? '' : ' (no wpe)'} ${shape}`, fwd.out, out, FORWARD_TOLERANCE));
      }

      const variants: Array<[string, boolean, boolean]> = [
        ['', true, true],
        [' (dwpe null)', true, false],
        [' (dwte null)', false, true],
      ];
      for (const [tag, withWte, withWpe] of variants) {
        const [dwte, dwpe] = [dwte0.slice(), dwpe0.slice()];
        embeddingBackwardRef(withWte ? dwte : null, withWpe ? dwpe : null, dout, tokens, N, T, C);
        const bwd = await onGpu(
          gpu,
          { dwte: dwte0, dwpe: dwpe0, dout, tokens },
          (enc, b) => embeddingBackward(enc, withWte ? b.dwte : null, withWpe ? b.dwpe : null, b.dout, b.tokens, N, T, C),
          ['dwte', 'dwpe'],
        );
        results.push(compareArrays(`backward dwte${tag} ${shape}`, bwd.dwte, dwte, FORWARD_TOLERANCE));
        results.push(compareArrays(`backward dwpe${tag} ${shape}`, bwd.dwpe, dwpe, dwpeTolerance(N, T)));
      }
    }
    expectClose(results);
  });

  it('gives the same bits on every run (no atomics), with tokens repeated across the batch', async () => {
    const gpu = await testGpu();
    const [N, T, C, V] = [64, 16, 40, 3];
    const rng = new Random(8);
    const tokens = Uint32Array.from({ length: N }, () => Math.floor(rng.next() * V));
    const inputs = { dwte: rng.floats(V * C), dwpe: rng.floats(T * C), dout: rng.floats(N * C), tokens };
    const run = () => onGpu(gpu, inputs, (enc, b) => embeddingBackward(enc, b.dwte, b.dwpe, b.dout, b.tokens, N, T, C), ['dwte', 'dwpe']);
    const [first, second] = [await run(), await run()];
    expect(Array.from(second.dwte)).toEqual(Array.from(first.dwte));
    expect(Array.from(second.dwpe)).toEqual(Array.from(first.dwpe));
  });

  it('treats a token ≥ V as a zero row: no read or write outside wte', async () => {
    const gpu = await testGpu();
    const [N, T, C, V] = [3, 3, 5, 4];
    const rng = new Random(21);
    const tokens = new Uint32Array([1, V, 0xffffffff]);
    const [wte, wpe, dout, dwte0] = [rng.floats(V * C), rng.floats(T * C), rng.floats(N * C), rng.floats(V * C)];
    const got = await onGpu(
      gpu,
      { out: new Float32Array(N * C), tokens, wte, wpe, dout, dwte: dwte0 },
      (enc, b) => {
        embeddingForward(enc, b.out, b.tokens, b.wte, b.wpe, N, T, C);
        embeddingBackward(enc, b.dwte, null, b.dout, b.tokens, N, T, C);
      },
      ['out', 'dwte'],
    );
    // Rows 1 and 2 hold only their position; dwte changes only in token 1's row.
    const wantOut = Float32Array.from({ length: N * C }, (_, i) => (i < C ? wte[C + i] : 0) + wpe[i]);
    const wantDwte = Float32Array.from(dwte0, (v, i) => (i >= C && i < 2 * C ? v + dout[i - C] : v));
    expectClose([
      compareArrays('forward with tokens ≥ V', got.out, wantOut, FORWARD_TOLERANCE),
      compareArrays('dwte with tokens ≥ V', got.dwte, wantDwte, FORWARD_TOLERANCE),
    ]);
    expect(() => embeddingForwardRef(new Float32Array(N * C), tokens, wte, wpe, N, T, C)).toThrow(/tokens\[1\] = 4 is outside the vocabulary \(V = 4\)/);
  });
});

describe('embedding CPU twin: backward matches finite differences', () => {
  it('dwte and dwpe of L = Σ out ⊙ R, with repeated tokens and N = 2·T', () => {
    const [N, T, C, V] = [6, 3, 4, 3];
    const rng = new Random(77);
    const tokens = new Uint32Array([2, 0, 2, 1, 2, 0]);
    const wte = Float64Array.from(rng.floats(V * C));
    const wpe = Float64Array.from(rng.floats((T + 1) * C));
    const R = Float64Array.from(rng.floats(N * C));
    const out = new Float64Array(N * C);
    const loss = () => {
      embeddingForwardRef(out, tokens, wte, wpe, N, T, C);
      return out.reduce((acc, v, i) => acc + v * R[i], 0);
    };
    const dwte0 = Float64Array.from(rng.floats(V * C));
    const dwpe0 = Float64Array.from(rng.floats((T + 1) * C));
    const [dwte, dwpe] = [dwte0.slice(), dwpe0.slice()];
    embeddingBackwardRef(dwte, dwpe, R, tokens, N, T, C);
    expectGradient('embedding dwte', loss, wte, dwte.map((v, i) => v - dwte0[i]));
    expectGradient('embedding dwpe', loss, wpe, dwpe.map((v, i) => v - dwpe0[i]));
  });
});
