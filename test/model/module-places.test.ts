// Where adapted modules sit, from their PEFT names: one stack (Llama, GPT-2) and two (T5).

import { describe, expect, it } from 'vitest';
import { modulePlaces } from '../../src/model/module-places';

describe('modulePlaces', () => {
  it('numbers the blocks of one stack and names each module by its own name', () => {
    expect(modulePlaces(['model.layers.0.self_attn.q_proj', 'model.layers.0.mlp.down_proj', 'model.layers.11.self_attn.q_proj'])).toEqual([
      { layer: '0', module: 'q_proj' },
      { layer: '0', module: 'down_proj' },
      { layer: '11', module: 'q_proj' },
    ]);
    expect(modulePlaces(['transformer.h.2.attn.c_attn', 'transformer.h.2.mlp.c_proj'])).toEqual([
      { layer: '2', module: 'c_attn' },
      { layer: '2', module: 'c_proj' },
    ]);
  });

  it('names the stack of each T5 block, and a module by its path where a block holds two of one name', () => {
    const names = ['encoder.block.0.layer.0.SelfAttention.q', 'encoder.block.0.layer.1.DenseReluDense.wi', 'decoder.block.0.layer.0.SelfAttention.q', 'decoder.block.0.layer.1.EncDecAttention.q', 'decoder.block.0.layer.2.DenseReluDense.wo'];
    expect(modulePlaces(names)).toEqual([
      { layer: 'encoder 0', module: 'SelfAttention.q' },
      { layer: 'encoder 0', module: 'DenseReluDense.wi' },
      { layer: 'decoder 0', module: 'SelfAttention.q' },
      { layer: 'decoder 0', module: 'EncDecAttention.q' },
      { layer: 'decoder 0', module: 'DenseReluDense.wo' },
    ]);
  });
});
