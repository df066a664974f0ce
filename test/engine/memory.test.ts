import { describe, expect, it } from 'vitest';
import { estimateMemory } from '../../src/engine/memory';
import { Transformer } from '../../src/engine/transformer';
import { uploadWeights } from '../../src/engine/load';
import { testGpu } from '../gpu';
import { loadFixture } from './fixtures';

describe('GPU memory estimate', () => {
  it('matches what the engine allocates for weights and activations within 15 %', async () => {
    const gpu = await testGpu();
    for (const name of ['smollm2', 'gpt2']) {
      const { model } = await loadFixture(name);
      const before = gpu.allocatedBytes;
      const weights = await uploadWeights(gpu, model);
      const afterWeights = gpu.allocatedBytes;
      const transformer = new Transformer(gpu, model.spec, weights, { B: 3, T: 17 });
      const afterActivations = gpu.allocatedBytes;
      const estimate = estimateMemory(model.spec, 3, 17, { method: 'lora', rank: 8 });
      console.log(`${name}: weights ${afterWeights - before} B (estimate ${estimate.weights}), activations ${afterActivations - afterWeights} B (estimate ${estimate.activations})`);
      expect(estimate.weights / (afterWeights - before)).toBeGreaterThan(0.85);
      expect(estimate.weights / (afterWeights - before)).toBeLessThan(1.15);
      expect(estimate.activations / (afterActivations - afterWeights)).toBeGreaterThan(0.85);
      expect(estimate.activations / (afterActivations - afterWeights)).toBeLessThan(1.15);
      transformer.destroy();
      weights.forEach((b) => b.destroy());
    }
  });
});

describe('GPU memory estimate with a vocabulary split across bindings', () => {
  // SmolLM2's fixture: 320 × 48 f32 = 61,440 bytes of embedding; 45,000 bytes hold 234 of its rows,
  // and 35 rows of logits (1,280 bytes each).
  const limit = 45_000;
  for (const [B, T, passes] of [
    [1, 20, false],
    [2, 24, true],
  ] as const) {
    it(`counts the split head's scratch (B=${B}, T=${T}: logits ${passes ? 'in passes of 35 token rows' : 'in one binding'})`, async () => {
      const gpu = await testGpu();
      const { model } = await loadFixture('smollm2');
      const { hiddenSize: C, vocabSize: V } = model.spec;
      gpu.bindingLimit = limit;
      try {
        const before = gpu.allocatedBytes;
        const weights = await uploadWeights(gpu, model);
        const afterWeights = gpu.allocatedBytes;
        const transformer = new Transformer(gpu, model.spec, weights, { B, T });
        const afterActivations = gpu.allocatedBytes;
        const split = estimateMemory(model.spec, B, T, { method: 'lora', rank: 8 }, limit);
        const whole = estimateMemory(model.spec, B, T, { method: 'lora', rank: 8 });
        expect(weights.has('embed[1]')).toBe(true);
        expect(split.weights).toBe(whole.weights);
        const rows = passes ? 35 : B * T;
        expect(split.activations - whole.activations).toBe((rows * 234 + (passes ? rows * (2 * C + V + 2) : 0)) * 4);
        expect(split.weights / (afterWeights - before)).toBeGreaterThan(0.85);
        expect(split.weights / (afterWeights - before)).toBeLessThan(1.15);
        expect(split.activations / (afterActivations - afterWeights)).toBeGreaterThan(0.85);
        expect(split.activations / (afterActivations - afterWeights)).toBeLessThan(1.15);
        transformer.destroy();
        weights.forEach((b) => b.destroy());
      } finally {
        gpu.bindingLimit = null;
      }
    });
  }
});
