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
