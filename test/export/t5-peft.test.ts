// A T5 adapter in PEFT's format: every linear of both stacks targeted under PEFT's module names,
// task_type SEQ_2_SEQ_LM, per-layer ranks in rank_pattern; read back and applied to the original
// weights on the GPU, it gives the adapted model's logits.

import { describe, expect, it } from 'vitest';
import { peftAdapterFiles, readPeftAdapter, type AdapterTensors } from '../../src/export/peft';
import { openT5, readT5Weights, t5LinearTargets } from '../../src/model/t5-load';
import { nodeModelFiles } from '../../src/model/node-files';
import { T5Model } from '../../src/engine/t5-model';
import { Random } from '../../src/engine/random';
import { testGpu } from '../gpu';
import { fixturePath } from '../engine/fixtures';

describe('a T5 adapter in PEFT format', () => {
  it('names every linear of both stacks as PEFT does', async () => {
    const { spec } = await openT5(await nodeModelFiles(fixturePath('t5-v1_1')));
    const modules = t5LinearTargets(spec).map((t) => t.module);
    expect(modules.slice(0, 7)).toEqual(['encoder.block.0.layer.0.SelfAttention.q', 'encoder.block.0.layer.0.SelfAttention.k', 'encoder.block.0.layer.0.SelfAttention.v', 'encoder.block.0.layer.0.SelfAttention.o', 'encoder.block.0.layer.1.DenseReluDense.wi_0', 'encoder.block.0.layer.1.DenseReluDense.wi_1', 'encoder.block.0.layer.1.DenseReluDense.wo']);
    expect(modules).toContain('decoder.block.1.layer.1.EncDecAttention.v');
    // 1 encoder block × 7 + 2 decoder blocks × 11.
    expect(modules).toHaveLength(7 + 2 * 11);
  });

  for (const fixture of ['t5', 't5-v1_1']) {
    it(`${fixture}: is SEQ_2_SEQ_LM with a rank per module, and reproduces the adapted model's logits on the original weights`, async () => {
      const model = await openT5(await nodeModelFiles(fixturePath(fixture)));
      const targets = t5LinearTargets(model.spec);
      const rng = new Random(41);
      // Ranks as an allocation gives them: different per layer.
      const adapters = new Map<string, AdapterTensors>(targets.map((t, i) => [t.name, { rank: 1 + (i % 3), scale: 0.8, A: rng.floats((1 + (i % 3)) * t.in, -0.3, 0.3), B: rng.floats(t.out * (1 + (i % 3)), -0.3, 0.3) }]));
      const files = peftAdapterFiles({ targets, taskType: 'SEQ_2_SEQ_LM', adapters, rsLora: true, alpha: 16, rankRef: 2, baseModel: fixture });
      const config = JSON.parse(files.config);
      expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'SEQ_2_SEQ_LM', fan_in_fan_out: false, r: 2 });
      expect(config.rank_pattern['decoder.block.0.layer.1.EncDecAttention.q']).toBe(adapters.get('decoder.block.0.layer.1.EncDecAttention.q.weight')!.rank);
      const read = await readPeftAdapter(files.weights, files.config, targets);

      const weights = await readT5Weights(model);
      const gpu = await testGpu();
      const batch = { B: 1, S: 5, T: 3, inputIds: Uint32Array.from([5, 9, 2, 30, 1]), attentionMask: new Float32Array(5).fill(1), decoderInputIds: Uint32Array.from([0, 12, 5]) };
      const logitsWith = async (chosen: ReadonlyMap<string, AdapterTensors>) => {
        const m = new T5Model(gpu, model.spec, weights);
        for (const [name, a] of chosen) m.attachAdapter(name, a.rank, a.scale ?? 0, a.A, a.B);
        const logits = await m.logitsOf(batch);
        m.destroy();
        return logits;
      };
      const trained = await logitsWith(adapters);
      const exported = await logitsWith(read);
      const base = await logitsWith(new Map());
      const largest = Math.max(...trained.map(Math.abs));
      expect(Math.max(...exported.map((v, i) => Math.abs(v - trained[i])))).toBeLessThanOrEqual(1e-6 * largest);
      // And the adapters do change the model.
      expect(Math.max(...base.map((v, i) => Math.abs(v - trained[i])))).toBeGreaterThan(1e-3 * largest);
    });
  }
});
