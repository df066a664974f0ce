// T5's forward pass on the GPU (src/engine/t5-forward.ts) against the CPU reference
// (src/engine/ref/t5.ts): the logits of a padded batch, for T5 v1.0 (ReLU, tied head) and v1.1
// (gated GELU, untied head), with heads · d_kv ≠ d_model and more encoder than decoder layers.

import { describe, expect, it } from 'vitest';
import { parseT5Config } from '../../src/model/t5-config';
import { ReferenceT5 } from '../../src/engine/ref/t5';
import { T5Forward } from '../../src/engine/t5-forward';
import { testGpu } from '../gpu';
import { randomT5Weights } from './t5-weights';

const CONFIG = { vocab_size: 37, d_model: 16, d_kv: 6, d_ff: 24, num_heads: 3, num_layers: 2, num_decoder_layers: 1, relative_attention_num_buckets: 8, relative_attention_max_distance: 12 };

// Two examples: one that fills the encoder's 9 positions, one padded after 5.
const S = 9;
const T = 6;
const sources = [
  [5, 9, 2, 30, 11, 7, 19, 3, 1],
  [4, 8, 15, 16, 1],
];
const targets = [
  [0, 12, 5, 7, 33, 2],
  [0, 6, 6, 21, 9, 1],
];

describe('T5 forward on WebGPU', () => {
  for (const feedForward of ['relu', 'gated-gelu'] as const) {
    it(`${feedForward}: the logits of a padded batch match the CPU reference within 1e-4 relative`, async () => {
      const spec = parseT5Config({ ...CONFIG, feed_forward_proj: feedForward, tie_word_embeddings: feedForward === 'relu' });
      const weights = randomT5Weights(spec, 21);
      const reference = new ReferenceT5(spec, weights);
      const model = new T5Forward(await testGpu(), spec, new Map([...weights].map(([name, w]) => [name, Float32Array.from(w)])));
      const inputIds = new Uint32Array(2 * S);
      const attentionMask = new Float32Array(2 * S);
      sources.forEach((ids, b) => {
        inputIds.set(ids, b * S);
        attentionMask.fill(1, b * S, b * S + ids.length);
      });
      const decoderInputIds = Uint32Array.from(targets.flat());
      const logits = await model.logits({ B: 2, S, T, inputIds, attentionMask, decoderInputIds });
      model.destroy();
      const V = spec.vocabSize;
      for (const [b, ids] of sources.entries()) {
        // The reference sees the example unpadded: padding must change nothing.
        const want = reference.logits({ inputIds: Uint32Array.from(ids), attentionMask: new Uint8Array(ids.length).fill(1), decoderInputIds: Uint32Array.from(targets[b]) });
        const got = logits.subarray(b * T * V, (b + 1) * T * V);
        const largest = Math.max(...want.map(Math.abs));
        const worst = Math.max(...got.map((g, i) => Math.abs(g - want[i])));
        console.log(`${worst / largest <= 1e-4 ? 'ok  ' : 'FAIL'} ${feedForward} example ${b}: max |gpu − cpu| / max |cpu| = ${(worst / largest).toExponential(2)} (limit 1e-4)`);
        expect(worst / largest).toBeLessThanOrEqual(1e-4);
      }
    });
  }
});
