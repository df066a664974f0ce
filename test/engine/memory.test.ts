// The memory plan's parts: the counting GPU, the weight plan, and the dry run's weights and
// activations against what the engine allocates on a real GPU (they are the same code, so equal).

import { describe, expect, it } from 'vitest';
import { CountingGpu } from '../../src/gpu/counting';
import { Transformer } from '../../src/engine/transformer';
import { uploadWeights } from '../../src/engine/load';
import { weightPlan } from '../../src/engine/weight-plan';
import { storedBytes, WEIGHT_FORMATS } from '../../src/engine/weight-format';
import { specEntries } from '../../src/model/weights';
import { estimateMemory } from '../../src/train/memory-estimate';
import { linearTargets } from '../../src/model/weights';
import { testGpu } from '../gpu';
import { FIXTURES, loadFixture } from './fixtures';

describe('CountingGpu', () => {
  it('counts live bytes and their peak, rounded as WebGPU sizes buffers, and frees each buffer once', () => {
    const gpu = new CountingGpu({ maxStorageBufferBindingSize: 1000, maxBufferSize: 800 });
    expect(gpu.bindingLimitBytes).toBe(800);
    const a = gpu.createBuffer('a', 10);
    const b = gpu.upload('b', new Float32Array(3));
    expect([a.size, b.size, gpu.allocatedBytes, gpu.peakBytes]).toEqual([12, 12, 24, 24]);
    a.destroy();
    a.destroy();
    gpu.createBuffer('c', 0);
    expect([gpu.allocatedBytes, gpu.peakBytes]).toEqual([16, 24]);
    return expect(gpu.readF32(b)).rejects.toThrow(/holds sizes, not values: cannot read "b"/);
  });
});

describe('weightPlan', () => {
  it("lists every checkpoint entry, linear block weights in the stored format, the rest in f32", async () => {
    const { model } = await loadFixture('llama32');
    expect(specEntries(model.spec).map((e) => [e.name, e.shape])).toEqual(model.entries.map((e) => [e.name, e.shape]));
    for (const format of WEIGHT_FORMATS) {
      const plan = new Map(weightPlan(model.entries, format, Infinity).map((w) => [w.name, w.bytes]));
      expect(plan.get('layers.1.mlp.down.weight')).toBe(storedBytes(format, 32, 64));
      expect(plan.get('layers.0.norm1.weight')).toBe(32 * 4);
      expect(plan.get('lm_head')).toBe(320 * 32 * 4);
    }
  });

  it('splits the vocabulary tensors into row chunks past the binding limit and refuses any other tensor', async () => {
    const { model } = await loadFixture('smollm2');
    const plan = weightPlan(model.entries, 'f32', 45_000);
    expect(plan.filter((w) => w.name.startsWith('embed')).map((w) => [w.name, w.bytes])).toEqual([
      ['embed[0]', 234 * 48 * 4],
      ['embed[1]', 86 * 48 * 4],
    ]);
    expect(() => weightPlan(model.entries, 'f32', 20_000)).toThrow(/model\.layers\.0\.mlp\.gate_proj\.weight needs 24576 bytes in f32, above this GPU's largest storage binding \(20000 bytes\)/);
    expect(() => weightPlan(model.entries, 'q4', 20_000)).not.toThrow();
  });
});

describe('the dry run against the engine on a real GPU', () => {
  for (const [B, T, limit] of [
    [3, 17, Infinity],
    [1, 20, 45_000],
    [2, 24, 45_000],
  ] as const) {
    it(`allocates exactly the weights and activations it counts (B=${B}, T=${T}, binding limit ${limit})`, async () => {
      const gpu = await testGpu();
      void gpu.unused;
      gpu.bindingLimit = Number.isFinite(limit) ? limit : null;
      try {
        for (const name of FIXTURES) {
          const { model } = await loadFixture(name);
          const before = gpu.allocatedBytes;
          const weights = await uploadWeights(gpu, model);
          const afterWeights = gpu.allocatedBytes;
          const transformer = new Transformer(gpu, model.spec, weights, { B, T });
          const afterActivations = gpu.allocatedBytes;
          const estimate = estimateMemory(model.spec, B, T, { method: 'lora', rank: 8 }, gpu.bindingLimitBytes);
          expect(estimate.weights, name).toBe(afterWeights - before);
          // The dry run also counts the 16-byte operand kernels bind where they read nothing (Gpu.unused).
          expect(estimate.activations - 16, name).toBe(afterActivations - afterWeights);
          transformer.destroy();
          weights.forEach((b) => b.destroy());
        }
      } finally {
        gpu.bindingLimit = null;
      }
    });
  }
});

describe('estimateMemory', async () => {
  const { model } = await loadFixture('smollm2');
  const spec = model.spec;
  const adapterFloats = (rank: number) => linearTargets(spec).reduce((sum, t) => sum + rank * (t.out + t.in), 0);

  it("holds room for GoRA's r_max on every layer before its allocation: 4× LoRA's adapters at r_max 32, r_ref 8", () => {
    const lora8 = estimateMemory(spec, 2, 16, { method: 'lora', rank: 8 });
    const lora32 = estimateMemory(spec, 2, 16, { method: 'lora', rank: 32 });
    const gora = estimateMemory(spec, 2, 16, { method: 'gora', rank: 8, rankMax: 32 });
    expect(gora.training).toBe(lora32.training);
    // The parameter, its gradient and AdamW's two moments: 4 floats per adapter parameter, and more.
    expect(lora32.training - lora8.training).toBeGreaterThan(4 * 4 * (adapterFloats(32) - adapterFloats(8)));
    expect(gora.scanGradients).toBeGreaterThan(4 * linearTargets(spec).reduce((sum, t) => sum + t.out * t.in, 0));
  });

  it('counts the ranks GoRA allocated once they are known, and no adapter where the rank is 0', () => {
    const targets = linearTargets(spec);
    const ranks = new Map(targets.map((t, i) => [t.name, i % 2 ? 0 : 8]));
    const allocated = estimateMemory(spec, 2, 16, { method: 'gora', rank: 8, ranks });
    const worst = estimateMemory(spec, 2, 16, { method: 'gora', rank: 8, rankMax: 8 });
    expect(allocated.training).toBeLessThan(worst.training);
    expect(allocated.weights).toBe(worst.weights);
  });

  it('counts full training as a gradient and two moments per weight, and splits the scan into passes', () => {
    const full = estimateMemory(spec, 2, 16, { method: 'full', rank: 8 });
    expect(full.training).toBeGreaterThan(3 * full.weights);
    expect(full.scanGradients).toBe(0);
    const one = estimateMemory(spec, 2, 16, { method: 'gora', rank: 8, scanPasses: 1 });
    const two = estimateMemory(spec, 2, 16, { method: 'gora', rank: 8, scanPasses: 2 });
    expect(two.scanGradients).toBeLessThan(one.scanGradients);
    expect(estimateMemory(spec, 2, 16, { method: 'gora', rank: 8, resumed: true }).scanGradients).toBe(0);
  });

  it('stores linear weights in the format asked for', () => {
    const f32 = estimateMemory(spec, 2, 16, { method: 'lora', rank: 8 });
    const q4 = estimateMemory(spec, 2, 16, { method: 'lora', rank: 8, weightFormat: 'q4' });
    const linear = (format: 'f32' | 'q4') => linearTargets(spec).reduce((sum, t) => sum + storedBytes(format, t.out, t.in), 0);
    expect(f32.weights - q4.weights).toBe(linear('f32') - linear('q4'));
    expect(q4.activations).toBe(f32.activations);
  });
});
