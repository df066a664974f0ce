import { describe, expect, it } from 'vitest';
import { Transformer } from '../../src/engine/transformer';
import { uploadWeights } from '../../src/engine/load';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { svdRef } from '../../src/engine/ref/svd';
import { LORA_GA_STABLE_GAMMA } from '../../src/gora/baselines';
import type { ScanBatch } from '../../src/gora/scan';
import { defaultConfig, type Method } from '../../src/train/config';
import { initialiseAdapters } from '../../src/train/initialise';
import { expectClose, testGpu } from '../gpu';
import { loadFixture } from '../engine/fixtures';

const [B, T] = [2, 10];

/** Batches of a repetitive token pattern, the first 3 positions of each row masked (as scan.test.ts). */
function batches(vocab: number, count: number, seed: number): ScanBatch[] {
  const rng = new Random(seed);
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

/** Xᵀ·X [k, k] for X [n, k] row-major (or X·Xᵀ for rows: pass the transpose layout through `rows`). */
function gram(x: ArrayLike<number>, rows: number, cols: number, byRows: boolean): Float64Array {
  const k = byRows ? rows : cols;
  const out = new Float64Array(k * k);
  for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) {
    let sum = 0;
    if (byRows) for (let j = 0; j < cols; j++) sum += x[p * cols + j] * x[q * cols + j];
    else for (let i = 0; i < rows; i++) sum += x[i * cols + p] * x[i * cols + q];
    out[p * k + q] = sum;
  }
  return out;
}

function identity(k: number, value: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) out[i * k + i] = value;
  return out;
}

/** ‖X·Y‖²_F for X [a, b], Y [b, c]. */
function productEnergy(x: ArrayLike<number>, y: ArrayLike<number>, a: number, b: number, c: number): number {
  let total = 0;
  for (let i = 0; i < a; i++) for (let j = 0; j < c; j++) {
    let sum = 0;
    for (let p = 0; p < b; p++) sum += x[i * b + p] * y[p * c + j];
    total += sum * sum;
  }
  return total;
}

function transpose(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

describe('initial adapters of LoRA, rsLoRA, LoRA-GA and PiSSA on a fixture', async () => {
  const gpu = await testGpu();
  const { model: opened, weights } = await loadFixture('smollm2');
  const { spec, targets } = opened;
  const scanBatches = batches(spec.vocabSize, 3, 77);
  const probe = batches(spec.vocabSize, 1, 91)[0];

  /** A fresh engine on the original weights, its logits on the probe batch, and a way to read them again. */
  async function engine() {
    const buffers = await uploadWeights(gpu, opened);
    const model = new Transformer(gpu, spec, buffers, { B, T });
    const logits = async () => {
      model.setBatch(probe.tokens, probe.targets);
      await gpu.run('probe forward', (enc) => model.forward(enc, null));
      return gpu.readF32(model.logits);
    };
    const destroy = () => {
      model.destroy();
      buffers.forEach((b) => b.destroy());
    };
    return { model, buffers, logits, destroy };
  }

  async function initialise(method: Method, rank: number) {
    const e = await engine();
    const before = await e.logits();
    const config = { ...defaultConfig(method), rank };
    const init = await initialiseAdapters(e.model, targets, scanBatches, config, { keepGradients: true });
    for (const [name, a] of init.adapters) e.model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
    const after = await e.logits();
    const limit = Math.max(...before.map(Math.abs));
    return { ...e, init, config, step0: compareArrays(`${method}: logits at step 0 against the base model's`, after, before, 2e-5 * limit) };
  }

  it('LoRA-GA: A₀ = c·V[:, :r]ᵀ, B₀ = c·U[:, r:2r] (c = m^¼/√16) of the scan gradient, W offset so the logits are unchanged', async () => {
    const r = 4;
    const run = await initialise('lora-ga', r);
    try {
      const results: Comparison[] = [run.step0];
      for (const t of targets) {
        const { A, B: B0, scale } = run.init.adapters.get(t.name)!;
        const [m, n] = [t.out, t.in];
        const c2 = Math.sqrt(m) / LORA_GA_STABLE_GAMMA;
        expect(scale).toBeCloseTo(16 / Math.sqrt(r), 12);
        // Orthonormal rows of A₀ and columns of B₀, each scaled by c.
        results.push(compareArrays(`A₀A₀ᵀ = c²I ${t.module}`, gram(A, r, n, true), identity(r, c2), 1e-5 * c2));
        results.push(compareArrays(`B₀ᵀB₀ = c²I ${t.module}`, gram(B0, m, r, false), identity(r, c2), 1e-5 * c2));
        // Their spans: A₀ captures G's top-r right energy Σ_{i<r} σᵢ², B₀ the left energy of σ_r … σ_2r−1.
        const G = run.init.gradients!.get(t.name)!;
        const ref = svdRef(G, m, n);
        const sq = (from: number, to: number) => [...ref.S.slice(from, to)].reduce((a, s) => a + s * s, 0);
        const total = sq(0, ref.k);
        results.push(compareArrays(`‖G·A₀ᵀ‖²/c² ${t.module} (of ‖G‖²)`, [productEnergy(G, transpose(A, r, n), m, n, r) / c2 / total], [sq(0, r) / total], 1e-4));
        results.push(compareArrays(`‖B₀ᵀ·G‖²/c² ${t.module} (of ‖G‖²)`, [productEnergy(transpose(B0, m, r), G, r, m, n) / c2 / total], [sq(r, 2 * r) / total], 1e-4));
      }
      expectClose(results);
      expect(run.init.scan!.batches).toBe(3);
    } finally {
      run.destroy();
    }
  });

  it("PiSSA: s·B₀A₀ = U_r S_r V_rᵀ of W, A₀A₀ᵀ = S_r/s, and W keeps the residual so the logits are unchanged", async () => {
    const r = 8;
    const run = await initialise('pissa', r);
    try {
      const results: Comparison[] = [run.step0];
      for (const t of targets) {
        const { A, B: B0, scale } = run.init.adapters.get(t.name)!;
        const [m, n] = [t.out, t.in];
        expect(scale).toBe(16 / r);
        const W = weights.get(`${t.name}.weight`)!;
        const ref = svdRef(W, m, n);
        const principal = new Float64Array(m * n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < r; p++) principal[i * n + j] += ref.U[i * ref.k + p] * ref.S[p] * ref.V[j * ref.k + p];
        const sBA = new Float64Array(m * n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < r; p++) sBA[i * n + j] += scale * B0[i * r + p] * A[p * n + j];
        const top = ref.S[0];
        results.push(compareArrays(`s·A₀A₀ᵀ = diag(S_r) ${t.module}`, gram(A, r, n, true).map((x) => x * scale), Float64Array.from({ length: r * r }, (_, i) => (i % (r + 1) === 0 ? ref.S[i / (r + 1)] : 0)), 1e-4 * top));
        results.push(compareArrays(`s·B₀A₀ = U_r S_r V_rᵀ ${t.module} (gap σ${r}/σ${r + 1} = ${(ref.S[r - 1] / ref.S[r]).toFixed(3)})`, sBA, principal, 1e-4 * top));
        // The GPU's W is now the residual W − s·B₀A₀.
        const residual = await gpu.readF32(run.buffers.get(`${t.name}.weight`)!);
        results.push(compareArrays(`W on the GPU = W − s·B₀A₀ ${t.module}`, residual, W.map((w, i) => w - sBA[i]), 1e-5 * top));
      }
      expectClose(results);
    } finally {
      run.destroy();
    }
  });

  for (const [method, scale] of [
    ['lora', 16 / 8],
    ['rslora', 16 / Math.sqrt(8)],
  ] as const) {
    it(`${method}: B₀ = 0 (the step-0 update is zero), A₀ Kaiming-uniform, s = ${scale.toFixed(3)}`, async () => {
      const run = await initialise(method, 8);
      try {
        expectClose([run.step0]);
        expect(run.init.scan).toBeNull();
        for (const t of targets) {
          const a = run.init.adapters.get(t.name)!;
          expect(a.scale).toBeCloseTo(scale, 12);
          expect(a.B.every((x) => x === 0)).toBe(true);
          expect(a.A.every((x) => Math.abs(x) <= 1 / Math.sqrt(t.in))).toBe(true);
          expect(a.A.some((x) => x !== 0)).toBe(true);
        }
      } finally {
        run.destroy();
      }
    });
  }

  it('refuses LoRA-GA ranks above half the smallest layer dimension, naming the layer', async () => {
    const e = await engine();
    try {
      await expect(initialiseAdapters(e.model, targets, scanBatches, { ...defaultConfig('lora-ga'), rank: 9 }, { keepGradients: false })).rejects.toThrow(/needs 2r = 18 singular vectors, and .* is \[16, 48\]: use a rank \(r_ref\) of 8 or less/);
    } finally {
      e.destroy();
    }
  });
});
