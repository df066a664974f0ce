import { describe, expect, it } from 'vitest';
import type { Gpu, KernelVariant } from '../../src/gpu/gpu';
import { crossEntropy, IGNORE_INDEX } from '../../src/engine/ops/crossentropy';
import { crossEntropyRef } from '../../src/engine/ref/crossentropy';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu, VARIANTS, withVariant } from '../gpu';
import { expectGradient } from '../finite-diff';

// V below, across and far above the 256-wide row workgroup (49,152 is Qwen-class vocabularies'
// order of magnitude); V = 1 has softmax 1 and loss 0; N = 70 spans two 64-row serial workgroups.
const SHAPES: Array<[N: number, V: number]> = [
  [1, 1],
  [1, 5],
  [3, 7],
  [17, 257],
  [33, 300],
  [4, 1000],
  [3, 49_152],
  [70, 65],
];


interface Case {
  logits: Float32Array;
  targets: Int32Array;
}

/**
 * Logits U(-1, 1) times a per-row spread up to 12, every fifth row shifted by +200 (exp(200)
 * overflows f32: only a max-subtracting softmax survives it); every third target ignored.
 */
function makeCase(seed: number, N: number, V: number): Case {
  const rng = new Random(seed);
  const logits = new Float32Array(N * V);
  const targets = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const spread = rng.uniform(0.5, 12);
    const shift = n % 5 === 4 ? 200 : 0;
    for (let i = 0; i < V; i++) logits[n * V + i] = shift + spread * rng.uniform(-1, 1);
    targets[n] = n % 3 === 1 ? IGNORE_INDEX : Math.floor(rng.next() * V);
  }
  return { logits, targets };
}

// The row sum of V exponentials is accumulated in f32 through a chain of additions, each adding a
// relative 2⁻²⁴, which log turns into the same absolute error in the loss: V/256 sequential terms
// and an 8-level tree (parallel), or blocks of about √V terms and as many block sums (serial). The
// losses themselves reach about 40 here, where a few ulps are 4e-6. Probabilities carry the sum's
// relative error (they are at most 1), times gradScale.
const depth = (V: number, variant: KernelVariant) => (variant === 'parallel' ? V / 256 + 8 : 2 * Math.sqrt(V) + 2);
const lossTolerance = (V: number, variant: KernelVariant) => 2e-7 * depth(V, variant) + 4e-6;
const gradTolerance = (V: number, variant: KernelVariant, scale: number) => scale * lossTolerance(V, variant);

describe('cross-entropy on WebGPU matches its CPU reference', () => {
  it.each(VARIANTS)(`%s: evaluation (logits untouched) and training (logits ← dlogits) on ${SHAPES.length} shapes`, async (variant) => {
    const gpu = await testGpu();
    expectClose(await withVariant(gpu, variant, () => crossEntropyCases(gpu, variant)));
  });

  it.each(VARIANTS)('%s: gives a zero loss and a zero gradient row to ignored and out-of-vocabulary targets', async (variant) => {
    const gpu = await testGpu();
    const [N, V] = [4, 9];
    const { logits } = makeCase(5, N, V);
    // Row 0 is counted; rows 1-3 are ignored (−100, −1) or out of the vocabulary (V + 3).
    const targets = new Int32Array([2, IGNORE_INDEX, -1, V + 3]);
    const bLogits = gpu.upload('logits', logits);
    const bTargets = gpu.upload('targets', targets);
    const bLosses = gpu.upload('losses', new Float32Array(N).fill(7));
    const [losses, grad] = await withVariant(gpu, variant, async () => {
      await gpu.run('cross-entropy ignored', (enc) => crossEntropy(enc, bLosses, bLogits, bTargets, N, V, 0.5));
      return [await gpu.readF32(bLosses, N), await gpu.readF32(bLogits, N * V)];
    });
    expect(losses[0]).toBeGreaterThan(0);
    expect(Array.from(losses.subarray(1))).toEqual([0, 0, 0]);
    expect(grad.subarray(V).every((g) => g === 0)).toBe(true);
    [bLogits, bTargets, bLosses].forEach((b) => b.destroy());
  });
});

async function crossEntropyCases(gpu: Gpu, variant: KernelVariant): Promise<Comparison[]> {
  const results: Comparison[] = [];
  for (const [N, V] of SHAPES) {
    const { logits, targets } = makeCase(N * 7919 + V, N, V);
    const counted = targets.filter((t) => t >= 0).length;
    const gradScale = 1 / Math.max(1, counted);
    const losses = new Float32Array(N);
    const dlogits = new Float32Array(N * V);
    crossEntropyRef(losses, dlogits, logits, targets, N, V, gradScale);

    const bLogits = gpu.upload('logits', logits);
    const bTargets = gpu.upload('targets', targets);
    const bLosses = gpu.upload('losses', new Float32Array(N).fill(7));
    const at = `${variant} N=${N} V=${V}`;
    await gpu.run('cross-entropy eval', (enc) => crossEntropy(enc, bLosses, bLogits, bTargets, N, V, null));
    results.push(compareArrays(`eval losses ${at}`, await gpu.readF32(bLosses, N), losses, lossTolerance(V, variant)));
    results.push(compareArrays(`eval leaves logits as they were ${at}`, await gpu.readF32(bLogits, N * V), logits, 0));

    await gpu.run('cross-entropy train', (enc) => crossEntropy(enc, bLosses, bLogits, bTargets, N, V, gradScale));
    results.push(compareArrays(`train losses ${at}`, await gpu.readF32(bLosses, N), losses, lossTolerance(V, variant)));
    results.push(compareArrays(`train dlogits (in place) ${at}`, await gpu.readF32(bLogits, N * V), dlogits, gradTolerance(V, variant, gradScale)));
    [bLogits, bTargets, bLosses].forEach((b) => b.destroy());
  }
  return results;
}

describe('cross-entropy CPU twin', () => {
  it('gradient matches finite differences of gradScale · Σ losses (with ignored targets)', () => {
    const [N, V] = [5, 7];
    const { logits: l32 } = makeCase(99, N, V);
    const logits = Float64Array.from(l32, (v) => v % 50); // the +200 shift would swamp h = 1e-5
    const targets = new Int32Array([3, IGNORE_INDEX, 0, 6, IGNORE_INDEX]);
    const gradScale = 1 / 3;
    const losses = new Float64Array(N);
    const loss = () => {
      crossEntropyRef(losses, null, logits, targets, N, V, null);
      return gradScale * losses.reduce((a, b) => a + b, 0);
    };
    const dlogits = new Float64Array(N * V);
    crossEntropyRef(losses, dlogits, logits, targets, N, V, gradScale);
    expectGradient('cross-entropy dlogits', loss, logits, dlogits);
  });

  it('writes the same gradient in place as into a separate array', () => {
    const [N, V] = [6, 11];
    const { logits, targets } = makeCase(3, N, V);
    const [a, b] = [new Float32Array(N), new Float32Array(N)];
    const separate = new Float32Array(N * V);
    crossEntropyRef(a, separate, logits, targets, N, V, 0.25);
    const inPlace = logits.slice();
    crossEntropyRef(b, inPlace, inPlace, targets, N, V, 0.25);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(inPlace)).toEqual(Array.from(separate));
  });

  it('treats a target ≥ V as an error, naming it', () => {
    const losses = new Float32Array(2);
    const logits = new Float32Array(2 * 7);
    expect(() => crossEntropyRef(losses, null, logits, new Int32Array([0, 7]), 2, 7, null)).toThrow(/targets\[1\] = 7 is outside the vocabulary \(V = 7\)/);
  });
});
