// Opening a T5 folder (src/model/t5-load.ts): the fixtures' tensors as their config implies, the
// embedding under any of its tied names, and a clear refusal of what does not match.

import { describe, expect, it } from 'vitest';
import { memoryFiles } from '../../src/model/bytes';
import { openT5, readT5Weights, t5TensorShapes } from '../../src/model/t5-load';
import { parseConfig } from '../../src/model/config';
import { writeSafetensors } from '../../src/model/safetensors';
import { Checkpoint } from '../../src/model/checkpoint';
import { fixtureFiles } from './helpers';

/** The t5 fixture with its checkpoint rewritten by `change` (name → tensor). */
async function withTensors(change: (tensors: Map<string, { shape: number[]; data: Float32Array }>) => void) {
  const files = fixtureFiles('t5');
  const checkpoint = await Checkpoint.open(memoryFiles(files));
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const name of checkpoint.names()) tensors.set(name, { shape: checkpoint.tensor(name).shape, data: await checkpoint.readFloats(name) });
  change(tensors);
  files.set('model.safetensors', writeSafetensors([...tensors].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: t.data }))));
  return openT5(memoryFiles(files));
}

describe('a T5 folder', () => {
  it('opens with every tensor its config implies, the embedding under any of its tied names', async () => {
    const model = await openT5(memoryFiles(fixtureFiles('t5-v1_1')));
    const weights = await readT5Weights(model);
    expect([...weights.keys()]).toEqual(t5TensorShapes(model.spec).map(([name]) => name));
    const renamed = await withTensors((t) => {
      t.set('encoder.embed_tokens.weight', t.get('shared.weight')!);
      t.delete('shared.weight');
    });
    expect(renamed.embeddingName).toBe('encoder.embed_tokens.weight');
    expect((await readT5Weights(renamed)).get('shared.weight')!.length).toBe(renamed.spec.vocabSize * renamed.spec.dModel);
  });

  it('is refused, naming the tensor, when a shape or a name does not match its config', async () => {
    await expect(withTensors((t) => t.set('encoder.block.0.layer.0.SelfAttention.q.weight', { shape: [8, 32], data: new Float32Array(256) }))).rejects.toThrow(
      /tensor "encoder.block.0.layer.0.SelfAttention.q.weight" has shape \[8, 32\] but config.json implies \[24, 32\]/,
    );
    await expect(withTensors((t) => t.delete('decoder.final_layer_norm.weight'))).rejects.toThrow(/tensor "decoder.final_layer_norm.weight" is missing/);
    await expect(withTensors((t) => t.set('encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight', { shape: [32, 3], data: new Float32Array(96) }))).rejects.toThrow(
      /does not account for: encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight/,
    );
  });

  it('is refused for training with a clear message: the trainable models are decoder-only', () => {
    expect(() => parseConfig(JSON.parse(new TextDecoder().decode(fixtureFiles('t5').get('config.json'))))).toThrow(/model_type "t5" is not supported/);
  });
});
