// Where adapted modules sit, from their PEFT names: one stack (Llama, GPT-2) and two (T5).

import { describe, expect, it } from 'vitest';
import { modulePlaces } from '../../src/model/module-places';

describe('modulePlaces', () => {
  it('numbers the blocks of one stack and names each module by its own name', () => {
    expect(modulePlaces(['model.layers.0.self_attn.q_proj', 'model.layers.0.mlp.down_proj', 'model.layers.11.self_attn.q_proj'])).toEqual([
      { layer: '0', module: 'q_proj', layerLabel: 'L0', moduleLabel: 'q' },
      { layer: '0', module: 'down_proj', layerLabel: 'L0', moduleLabel: 'down' },
      { layer: '11', module: 'q_proj', layerLabel: 'L11', moduleLabel: 'q' },
    ]);
    expect(modulePlaces(['transformer.h.2.attn.c_attn', 'transformer.h.2.mlp.c_proj'])).toEqual([
      { layer: '2', module: 'c_attn', layerLabel: 'L2', moduleLabel: 'c_attn' },
      { layer: '2', module: 'c_proj', layerLabel: 'L2', moduleLabel: 'c' },
    ]);
  });

  it("keeps GPT-2's two c_proj apart by their path in the block", () => {
    const names = ['transformer.h.0.attn.c_attn', 'transformer.h.0.attn.c_proj', 'transformer.h.0.mlp.c_fc', 'transformer.h.0.mlp.c_proj'];
    expect(modulePlaces(names).map((p) => [p.module, p.moduleLabel])).toEqual([
      ['attn.c_attn', 'attn c_attn'],
      ['attn.c_proj', 'attn c'],
      ['mlp.c_fc', 'mlp c_fc'],
      ['mlp.c_proj', 'mlp c'],
    ]);
  });

  it('names the stack of each T5 block, and a module by its path where a block holds two of one name', () => {
    const names = ['encoder.block.0.layer.0.SelfAttention.q', 'encoder.block.0.layer.1.DenseReluDense.wi', 'decoder.block.0.layer.0.SelfAttention.q', 'decoder.block.0.layer.1.EncDecAttention.q', 'decoder.block.0.layer.2.DenseReluDense.wo'];
    expect(modulePlaces(names)).toEqual([
      { layer: 'encoder 0', module: 'SelfAttention.q', layerLabel: 'enc 0', moduleLabel: 'self q' },
      { layer: 'encoder 0', module: 'DenseReluDense.wi', layerLabel: 'enc 0', moduleLabel: 'wi' },
      { layer: 'decoder 0', module: 'SelfAttention.q', layerLabel: 'dec 0', moduleLabel: 'self q' },
      { layer: 'decoder 0', module: 'EncDecAttention.q', layerLabel: 'dec 0', moduleLabel: 'cross q' },
      { layer: 'decoder 0', module: 'DenseReluDense.wo', layerLabel: 'dec 0', moduleLabel: 'wo' },
    ]);
  });
});
