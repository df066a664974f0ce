// T5 on the GPU (src/engine/t5-model.ts) against the CPU reference (src/engine/ref/t5.ts): the
// logits of a padded batch and every weight's gradient of its loss, for T5 v1.0 (ReLU, tied head) and v1.1
// (gated GELU, untied head), with heads · d_kv ≠ d_model and stacks of different depths — on random
// weights and on the two T5 fixtures as a checkpoint folder holds them.

import { describe, expect, it } from 'vitest';
import { parseT5Config } from '../../src/model/t5-config';
import { ReferenceT5 } from '../../src/engine/ref/t5';
import { T5Model } from '../../src/engine/t5-model';
import { testGpu } from '../gpu';
import { randomT5Weights } from './t5-weights';
import { openT5, readT5Weights } from '../../src/model/t5-load';
import { nodeModelFiles } from '../../src/model/node-files';
import type { T5Spec } from '../../src/model/t5-config';
import { fixturePath } from './fixtures';
import { Random } from '../../src/engine/random';

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
  const model = new T5Model(await testGpu(), spec, weights);
  const inputIds = new Uint32Array(2 * S);
  const attentionMask = new Float32Array(2 * S);
  sources.forEach((ids, b) => {
    inputIds.set(ids, b * S);
    attentionMask.fill(1, b * S, b * S + ids.length);
  });
  const logits = await model.logitsOf({ B: 2, S, T, inputIds, attentionMask, decoderInputIds: Uint32Array.from(targets.flat()) });
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

const ADAPTED = ['encoder.block.0.layer.0.SelfAttention.q.weight', 'decoder.block.0.layer.1.EncDecAttention.v.weight', 'decoder.block.0.layer.2.DenseReluDense.wo.weight'];

/**
 * The loss of the padded batch and every weight's and adapter's gradient on the GPU against the reference's,
 * which takes each example alone: the batch's mean over all its labels weighs each example's mean
 * by its share of the labels.
 */
async function expectGradientsMatch(label: string, spec: T5Spec, weights: ReadonlyMap<string, Float32Array>): Promise<void> {
  const reference = new ReferenceT5(spec, new Map([...weights].map(([name, w]) => [name, Float64Array.from(w)])));
  const model = new T5Model(await testGpu(), spec, weights);
  // LoRA adapters on a self-attention, a cross-attention and a feed-forward layer, on both.
  const rng = new Random(31);
  for (const name of ADAPTED) {
    const [out, inFeatures] = name.endsWith('wo.weight') ? [spec.dModel, spec.dFF] : [spec.heads * spec.dKv, spec.dModel];
    const [A, B] = [rng.floats(2 * inFeatures, -0.5, 0.5), rng.floats(out * 2, -0.5, 0.5)];
    model.attachAdapter(name, 2, 1.5, A, B);
    reference.adapters.set(name, { rank: 2, scale: 1.5, A: Float64Array.from(A), B: Float64Array.from(B) });
  }
  const inputIds = new Uint32Array(2 * S);
  const attentionMask = new Float32Array(2 * S);
  sources.forEach((ids, b) => {
    inputIds.set(ids, b * S);
    attentionMask.fill(1, b * S, b * S + ids.length);
  });
  // The labels are the decoder inputs shifted left, the last of the second example left out (−100).
  const labels = Int32Array.from(targets.flatMap((ids, b) => [...ids.slice(1), b === 0 ? 1 : -100]));
  const got = await model.gradients({ B: 2, S, T, inputIds, attentionMask, decoderInputIds: Uint32Array.from(targets.flat()) }, labels);
  model.destroy();
  const perExample = sources.map((ids, b) =>
    reference.gradients({ inputIds: Uint32Array.from(ids), attentionMask: new Uint8Array(ids.length).fill(1), decoderInputIds: Uint32Array.from(targets[b]) }, labels.subarray(b * T, (b + 1) * T)),
  );
  const total = perExample.reduce((sum, e) => sum + e.count, 0);
  expect(got.count).toBe(total);
  const wantLoss = perExample.reduce((sum, e) => sum + (e.loss * e.count) / total, 0);
  expect(Math.abs(got.loss - wantLoss)).toBeLessThan(1e-5 * wantLoss);
  const names = [...weights.keys(), ...ADAPTED.flatMap((n) => [`${n}.lora_A`, `${n}.lora_B`])];
  expect([...got.grads.keys()].sort()).toEqual([...names].sort());
  let worstShare = 0;
  for (const name of names) {
    const want = perExample[0].grads.get(name)!.map((g, i) => (g * perExample[0].count) / total + (perExample[1].grads.get(name)![i] * perExample[1].count) / total);
    const largest = Math.max(...want.map(Math.abs));
    const worst = Math.max(...got.grads.get(name)!.map((g, i) => Math.abs(g - want[i])));
    if (worst > 1e-4 * largest + 1e-7) console.log(`FAIL ${label} ${name}: max |gpu − cpu| = ${worst.toExponential(2)} of max ${largest.toExponential(2)}`);
    expect(worst, `${label} ${name}`).toBeLessThanOrEqual(1e-4 * largest + 1e-7);
    worstShare = Math.max(worstShare, worst / largest);
  }
  console.log(`ok   ${label}: loss ${got.loss.toFixed(6)} (reference ${wantLoss.toFixed(6)}); ${got.grads.size} weight and adapter gradients, the worst within ${worstShare.toExponential(2)} of its largest (limit 1e-4)`);
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
    it(`the ${fixture} fixture: opened from its folder, its logits and every weight's and adapter's gradient match the CPU reference`, async () => {
      const model = await openT5(await nodeModelFiles(fixturePath(fixture)));
      expect(model.spec.feedForward).toBe(fixture === 't5' ? 'relu' : 'gated-gelu');
      const weights = await readT5Weights(model);
      await expectMatch(fixture, model.spec, weights);
      await expectGradientsMatch(fixture, model.spec, weights);
    });
  }
});
