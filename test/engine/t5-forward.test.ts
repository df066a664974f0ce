// T5's forward pass on the GPU (src/engine/t5-forward.ts) against the CPU reference
// (src/engine/ref/t5.ts): the logits of a padded batch, for T5 v1.0 (ReLU, tied head) and v1.1
// (gated GELU, untied head), with heads · d_kv ≠ d_model and stacks of different depths — on random
// weights and on the two T5 fixtures as a checkpoint folder holds them.

import { describe, expect, it } from 'vitest';
import { parseT5Config } from '../../src/model/t5-config';
import { ReferenceT5 } from '../../src/engine/ref/t5';
import { T5Forward } from '../../src/engine/t5-forward';
import { testGpu } from '../gpu';
import { randomT5Weights } from './t5-weights';
import { openT5, readT5Weights } from '../../src/model/t5-load';
import { nodeModelFiles } from '../../src/model/node-files';
import type { T5Spec } from '../../src/model/t5-config';
import { fixturePath } from './fixtures';

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

/** Runs the batch on the GPU and compares each example's logits with the reference's on it unpadded. */
async function expectMatch(label: string, spec: T5Spec, weights: ReadonlyMap<string, Float32Array>): Promise<void> {
  const reference = new ReferenceT5(spec, new Map([...weights].map(([name, w]) => [name, Float64Array.from(w)])));
  const model = new T5Forward(await testGpu(), spec, weights);
  const inputIds = new Uint32Array(2 * S);
  const attentionMask = new Float32Array(2 * S);
  sources.forEach((ids, b) => {
    inputIds.set(ids, b * S);
    attentionMask.fill(1, b * S, b * S + ids.length);
  });
  const logits = await model.logits({ B: 2, S, T, inputIds, attentionMask, decoderInputIds: Uint32Array.from(targets.flat()) });
  model.destroy();
  const V = spec.vocabSize;
  for (const [b, ids] of sources.entries()) {
    // The reference sees the example unpadded: padding must change nothing.
    const want = reference.logits({ inputIds: Uint32Array.from(ids), attentionMask: new Uint8Array(ids.length).fill(1), decoderInputIds: Uint32Array.from(targets[b]) });
    const got = logits.subarray(b * T * V, (b + 1) * T * V);
    const largest = Math.max(...want.map(Math.abs));
    const worst = Math.max(...got.map((g, i) => Math.abs(g - want[i])));
    console.log(`${worst / largest <= 1e-4 ? 'ok  ' : 'FAIL'} ${label} example ${b}: max |gpu − cpu| / max |cpu| = ${(worst / largest).toExponential(2)} (limit 1e-4)`);
    expect(worst / largest).toBeLessThanOrEqual(1e-4);
  }
}

describe('T5 forward on WebGPU', () => {
  for (const feedForward of ['relu', 'gated-gelu'] as const) {
    it(`${feedForward}: the logits of a padded batch match the CPU reference within 1e-4 relative`, async () => {
      const spec = parseT5Config({ ...CONFIG, feed_forward_proj: feedForward, tie_word_embeddings: feedForward === 'relu' });
      const weights = randomT5Weights(spec, 21);
      await expectMatch(feedForward, spec, new Map([...weights].map(([name, w]) => [name, Float32Array.from(w)])));
    });
  }

  for (const fixture of ['t5', 't5-v1_1']) {
    it(`the ${fixture} fixture: opened from its folder, its logits match the CPU reference within 1e-4 relative`, async () => {
      const model = await openT5(await nodeModelFiles(fixturePath(fixture)));
      expect(model.spec.feedForward).toBe(fixture === 't5' ? 'relu' : 'gated-gelu');
      await expectMatch(fixture, model.spec, await readT5Weights(model));
    });
  }
});
