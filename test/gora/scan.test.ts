import { describe, expect, it } from 'vitest';
import { Transformer } from '../../src/engine/transformer';
import { layerOfLinear } from '../../src/engine/architecture';
import { ReferenceTransformer } from '../../src/engine/ref/transformer';
import { uploadWeights } from '../../src/engine/load';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { gradientScan, gradientTimesAT, layerGroups, type ScanBatch } from '../../src/gora/scan';
import type { LinearTarget } from '../../src/model/spec';
import { goraB0, kaimingUniform, loraScale } from '../../src/gora/init';
import { allocateRanks, DEFAULT_ALLOCATION } from '../../src/gora/allocate';
import { expectClose, testGpu } from '../gpu';
import { loadFixture } from '../engine/fixtures';

const [B, T] = [2, 10];
const GAMMA = 0.05;
const ALPHA = 16;

/** Batches of a repetitive token pattern (learnable), the first 3 positions of each row masked. */
function batches(vocab: number, count: number): ScanBatch[] {
  const rng = new Random(77);
  return Array.from({ length: count }, () => {
    const tokens = new Uint32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = Math.floor(rng.next() * (vocab - 3));
      for (let t = 0; t < T; t++) tokens[b * T + t] = start + (t % 3);
    }
    const targets = Int32Array.from(tokens, (_, i) => (i % T < 3 || i % T === T - 1 ? -100 : tokens[i + 1]));
    return { tokens, targets, count: targets.filter((x) => x >= 0).length };
  });
}

describe('GoRA scan, importance and initialisation on the GPU', async () => {
  const gpu = await testGpu();
  const { model: opened, weights } = await loadFixture('smollm2');
  const spec = opened.spec;
  const targets = opened.targets;
  const scanBatches = batches(spec.vocabSize, 3);

  // The reference: Σ_b ∂L_b/∂W over the same batches, divided by N.
  const ref = new ReferenceTransformer(spec, new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)])), B, T);
  for (const t of targets) ref.weightGradients.set(t.name, new Float64Array(t.out * t.in));
  const baseLosses: number[] = [];
  for (const batch of scanBatches) {
    baseLosses.push(ref.forward(batch.tokens, batch.targets).loss);
    ref.backward();
  }
  const G = new Map([...ref.weightGradients].map(([name, sum]) => [name, sum.map((g) => g / scanBatches.length)]));

  const buffers = await uploadWeights(gpu, opened);
  const model = new Transformer(gpu, spec, buffers, { B, T });
  const scan = await gradientScan(model, targets, scanBatches);

  it('accumulates the mean gradient G of every target layer as the CPU reference does', async () => {
    const results: Comparison[] = [];
    for (const t of targets) {
      const sum = await gpu.readF32(model.weightGradient(t.name));
      const want = G.get(t.name)!;
      const scale = Math.max(...want.map(Math.abs));
      results.push(compareArrays(`G ${t.module}`, sum.map((g) => g / scanBatches.length), want, 2e-4 * scale));
    }
    expectClose(results);
    expect(scan.losses.map((l) => Number(l.toFixed(4)))).toEqual(baseLosses.map((l) => Number(l.toFixed(4))));
  });

  it('computes importance mean|W ⊙ G|, advantages and ranks as a direct computation does', () => {
    const direct = targets.map((t) => {
      const w = weights.get(`${t.name}.weight`)!;
      const g = G.get(t.name)!;
      return w.reduce((sum, wi, i) => sum + Math.abs(wi * g[i]), 0) / w.length;
    });
    expectClose([compareArrays('importances', scan.importances, direct, 1e-4 * Math.max(...direct))]);
    const fromGpu = allocateRanks(targets.map((t, i) => ({ name: t.module, m: t.out, n: t.in, importance: scan.importances[i] })), DEFAULT_ALLOCATION);
    const fromCpu = allocateRanks(targets.map((t, i) => ({ name: t.module, m: t.out, n: t.in, importance: direct[i] })), DEFAULT_ALLOCATION);
    const total = direct.reduce((a, b) => a + b, 0);
    expectClose([compareArrays('advantages', fromGpu.layers.map((l) => l.advantage), direct.map((d) => d / total), 1e-5)]);
    expect(fromGpu.layers.map((l) => l.rank)).toEqual(fromCpu.layers.map((l) => l.rank));
  });

  it('initialises B₀ so that s·B₀A₀ = −γ·√(n/r)·G·P_A, with ‖s·B₀A₀‖ ≈ γ‖G‖', async () => {
    const rng = new Random(5);
    const results: Comparison[] = [];
    let sumUpdate = 0;
    let sumGradient = 0;
    for (const t of targets) {
      const r = 8;
      const A0 = kaimingUniform(rng, r, t.in);
      const GA = await gradientTimesAT(model, t, A0, r, scan.batches);
      const B0 = goraB0(GA, A0, t.out, t.in, r, GAMMA, ALPHA);
      const s = loraScale(ALPHA, r, true);
      const g = G.get(t.name)!;
      const actual = product(B0, A0, t.out, r, t.in).map((x) => s * x);
      const expected = product(g, projection(A0, r, t.in), t.out, t.in, t.in).map((x) => -GAMMA * Math.sqrt(t.in / r) * x);
      results.push(compareArrays(`s·B0·A0 ${t.module}`, actual, expected, 1e-3 * Math.max(...expected.map(Math.abs))));
      sumUpdate += actual.reduce((a, x) => a + x * x, 0);
      sumGradient += g.reduce((a, x) => a + x * x, 0);
    }
    expectClose(results);
    // E‖G·P_A‖² = (r/n)‖G‖² for a random A₀, so over all layers ‖ΔW₀‖ ≈ γ‖G‖.
    const ratio = Math.sqrt(sumUpdate) / (GAMMA * Math.sqrt(sumGradient));
    console.log(`‖s·B₀A₀‖ / (γ‖G‖) over all layers = ${ratio.toFixed(3)}`);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
  });

  it('lowers the loss on the scan batches at step 0', async () => {
    const rng = new Random(6);
    for (const t of targets) {
      const r = 8;
      const A0 = kaimingUniform(rng, r, t.in);
      const B0 = goraB0(await gradientTimesAT(model, t, A0, r, scan.batches), A0, t.out, t.in, r, GAMMA, ALPHA);
      model.attachAdapter(t.name, r, loraScale(ALPHA, r, true), A0, B0);
    }
    const adapted: number[] = [];
    for (const batch of scanBatches) {
      model.setBatch(batch.tokens, batch.targets);
      await gpu.run('adapted forward', (enc) => model.forward(enc, null));
      adapted.push((await gpu.readF32(model.losses)).reduce((a, b) => a + b, 0) / batch.count);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`scan-batch loss: base ${mean(scan.losses).toFixed(4)} → with the initial adapter ${mean(adapted).toFixed(4)}`);
    expect(mean(adapted)).toBeLessThan(mean(scan.losses));
    model.destroy();
    buffers.forEach((b) => b.destroy());
  });
});

describe('the scan in passes over groups of layers', async () => {
  it('gives the same losses, importances and G·A₀ᵀ as one pass, holding one group of gradients at a time', async () => {
    const gpu = await testGpu();
    const { model: opened } = await loadFixture('llama32');
    const targets = opened.targets;
    const scanBatches = batches(opened.spec.vocabSize, 2);
    const buffers = await uploadWeights(gpu, opened);
    const scanned = async (passes: number) => {
      const model = new Transformer(gpu, opened.spec, buffers, { B, T });
      const before = gpu.allocatedBytes;
      const scan = await gradientScan(model, targets, scanBatches, undefined, passes);
      const held = gpu.allocatedBytes - before;
      const rng = new Random(9);
      const projected = [];
      for (const t of targets) projected.push(await gradientTimesAT(model, t, kaimingUniform(rng, 4, t.in), 4, scan.batches));
      model.destroy();
      return { scan, held, projected };
    };
    const one = await scanned(1);
    const layers = opened.spec.layers;
    const many = await scanned(layers);
    console.log(`${layers} passes: ${many.held} bytes of gradients left on the GPU after the scan, against ${one.held} in one pass`);
    expect(many.held).toBe(0);
    expect(one.held).toBe(targets.reduce((sum, t) => sum + 4 * t.out * t.in, 0));
    expect(many.scan.losses).toEqual(one.scan.losses);
    expectClose([compareArrays('importances', many.scan.importances, one.scan.importances, 1e-6 * Math.max(...one.scan.importances))]);
    expectClose(targets.map((t, i) => compareArrays(`G·A₀ᵀ ${t.module}`, many.projected[i], one.projected[i], 1e-6 * Math.max(...one.projected[i].map(Math.abs)))));
    buffers.forEach((b) => b.destroy());
  });

  it('stops backward at the lowest layer a pass tracks, and refuses to skip a tracked gradient', async () => {
    const gpu = await testGpu();
    const { model: opened } = await loadFixture('llama32');
    const buffers = await uploadWeights(gpu, opened);
    const model = new Transformer(gpu, opened.spec, buffers, { B, T });
    try {
      model.trackWeightGradient('layers.0.attn.q');
      await expect(gpu.run('skip', (enc) => model.backward(enc, 1))).rejects.toThrow(/would skip gradients that are tracked below it/);
    } finally {
      model.destroy();
      buffers.forEach((b) => b.destroy());
    }
  });

  it('splits the targets between layers into near-equal groups', () => {
    const targets = Array.from({ length: 5 }, (_, layer) => ['q', 'v'].map((m) => ({ name: `layers.${layer}.attn.${m}` }))).flat() as LinearTarget[];
    const names = (passes: number) => layerGroups(targets, passes, layerOfLinear).map((g) => g.map((t) => t.name.split('.')[1]).join(''));
    expect(names(1)).toEqual(['0011223344']);
    expect(names(2)).toEqual(['0011', '223344']);
    expect(names(3)).toEqual(['00', '1122', '3344']);
    expect(names(9)).toEqual(['00', '11', '22', '33', '44']);
  });
});

/** [m, k] · [k, n] in f64. */
function product(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j] += a[i * k + p] * b[p * n + j];
  return out;
}

/** P_A = A₀ᵀ (A₀A₀ᵀ)⁻¹ A₀ [n, n], by Gauss–Jordan on the r×r Gram matrix. */
function projection(A: Float32Array, r: number, n: number): Float64Array {
  const gram = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) for (let k = 0; k < n; k++) gram[i * r + j] += A[i * n + k] * A[j * n + k];
  const inv = new Float64Array(r * r);
  for (let i = 0; i < r; i++) inv[i * r + i] = 1;
  for (let c = 0; c < r; c++) {
    const pivot = gram[c * r + c];
    for (let j = 0; j < r; j++) {
      gram[c * r + j] /= pivot;
      inv[c * r + j] /= pivot;
    }
    for (let i = 0; i < r; i++) {
      if (i === c) continue;
      const f = gram[i * r + c];
      for (let j = 0; j < r; j++) {
        gram[i * r + j] -= f * gram[c * r + j];
        inv[i * r + j] -= f * inv[c * r + j];
      }
    }
  }
  const At = new Float64Array(n * r);
  for (let i = 0; i < r; i++) for (let k = 0; k < n; k++) At[k * r + i] = A[i * n + k];
  return product(product(At, inv, n, r, r), A, n, r, n);
}
