import { describe, expect, it } from 'vitest';
import { Transformer } from '../../src/engine/transformer';
import { uploadWeights } from '../../src/engine/load';
import { axpy } from '../../src/engine/ops/elementwise';
import { blockLinears, linearName } from '../../src/engine/architecture';
import { Random } from '../../src/engine/random';
import { testGpu } from '../gpu';
import { loadFixture } from './fixtures';

describe('LoRA training on the GPU', () => {
  it('lowers the loss over 50 steps of plain SGD on the adapters of a fixture, on a fixed batch', async () => {
    const gpu = await testGpu();
    const { model: opened } = await loadFixture('smollm2');
    const spec = opened.spec;
    const [B, T, rank, lr] = [2, 12, 4, 0.1];
    const rng = new Random(7);
    const tokens = Uint32Array.from({ length: B * T }, () => Math.floor(rng.next() * spec.vocabSize));
    const targets = Int32Array.from(tokens, (_, i) => (i % T === T - 1 ? -100 : tokens[i + 1]));
    const count = targets.filter((t) => t >= 0).length;

    const weights = await uploadWeights(gpu, opened);
    const model = new Transformer(gpu, spec, weights, { B, T });
    for (let l = 0; l < spec.layers; l++) {
      for (const linear of blockLinears(spec)) {
        const bound = 1 / Math.sqrt(linear.in);
        model.attachAdapter(linearName(l, linear.kind), rank, 1, rng.floats(rank * linear.in, -bound, bound), new Float32Array(linear.out * rank));
      }
    }
    model.setBatch(tokens, targets);

    const losses: number[] = [];
    for (let step = 0; step < 50; step++) {
      await gpu.run(`sgd step ${step}`, (enc) => {
        for (const adapter of model.adapters.values()) {
          enc.clear(adapter.dA);
          enc.clear(adapter.dB);
        }
        model.forward(enc, 1 / count);
        model.backward(enc);
        for (const adapter of model.adapters.values()) {
          axpy(enc, adapter.A, adapter.dA, -lr, adapter.dA.size / 4);
          axpy(enc, adapter.B, adapter.dB, -lr, adapter.dB.size / 4);
        }
      });
      const rowLosses = await gpu.readF32(model.losses);
      losses.push(rowLosses.reduce((a, b) => a + b, 0) / count);
    }
    console.log(`loss by step: ${losses.map((l, i) => (i % 5 === 0 || i === 49 ? `${i}:${l.toFixed(4)}` : '')).filter(Boolean).join(' ')}`);
    model.destroy();
    weights.forEach((b) => b.destroy());
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[49]).toBeLessThan(losses[0] * 0.8);
    // Downward in trend, not only at the ends: each 10-step window's mean is below the previous one's.
    const means = [0, 10, 20, 30, 40].map((i) => losses.slice(i, i + 10).reduce((a, b) => a + b, 0) / 10);
    for (let w = 1; w < means.length; w++) expect(means[w]).toBeLessThan(means[w - 1]);
  });
});
