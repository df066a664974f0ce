// Random weights for a T5 spec, named and shaped as a T5ForConditionalGeneration checkpoint holds them.

import type { T5Spec } from '../../src/model/t5-config';
import { Random } from '../../src/engine/random';

/** Random weights for every tensor the spec names, as a checkpoint of T5ForConditionalGeneration holds them. */
export function randomT5Weights(spec: T5Spec, seed: number): Map<string, Float64Array> {
  const rng = new Random(seed);
  const weights = new Map<string, Float64Array>();
  const add = (name: string, size: number, scale = 0.5) => weights.set(name, Float64Array.from({ length: size }, () => (rng.next() * 2 - 1) * scale));
  const { dModel: C, dKv: D, heads: H, dFF: F, vocabSize: V, buckets } = spec;
  const attention = (prefix: string) => {
    for (const p of ['q', 'k', 'v']) add(`${prefix}.${p}.weight`, H * D * C);
    add(`${prefix}.o.weight`, C * H * D);
  };
  const feedForward = (prefix: string) => {
    if (spec.feedForward === 'relu') add(`${prefix}.wi.weight`, F * C);
    else for (const w of ['wi_0', 'wi_1']) add(`${prefix}.${w}.weight`, F * C);
    add(`${prefix}.wo.weight`, C * F);
  };
  const norm = (name: string) => weights.set(name, Float64Array.from({ length: C }, () => 0.5 + rng.next()));
  add('shared.weight', V * C, 1);
  for (const [stack, layers] of [['encoder', spec.encoderLayers], ['decoder', spec.decoderLayers]] as const) {
    add(`${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`, buckets * H, 1);
    for (let l = 0; l < layers; l++) {
      const at = `${stack}.block.${l}.layer`;
      attention(`${at}.0.SelfAttention`);
      norm(`${at}.0.layer_norm.weight`);
      if (stack === 'decoder') {
        attention(`${at}.1.EncDecAttention`);
        norm(`${at}.1.layer_norm.weight`);
      }
      const ff = stack === 'encoder' ? 1 : 2;
      feedForward(`${at}.${ff}.DenseReluDense`);
      norm(`${at}.${ff}.layer_norm.weight`);
    }
    norm(`${stack}.final_layer_norm.weight`);
  }
  if (!spec.tiedEmbeddings) add('lm_head.weight', V * C);
  return weights;
}

