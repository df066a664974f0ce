// The CPU reference T5 (src/engine/ref/t5.ts) and its config (src/model/t5-config.ts): T5's
// relative position buckets at hand-computed values, and the properties its forward must have —
// a causal decoder, encoder padding that changes nothing, tied embeddings as a scaled head, a
// shared bias table read from block 0 only, transformers' shift-right of the labels.

import { describe, expect, it } from 'vitest';
import { parseT5Config } from '../../src/model/t5-config';
import { ReferenceT5, relativePositionBucket, shiftRight } from '../../src/engine/ref/t5';
import { randomT5Weights as randomWeights } from './t5-weights';
import { expectGradient } from '../finite-diff';
import { Random } from '../../src/engine/random';

describe("T5's relative position buckets", () => {
  it('are exact near the query and logarithmic beyond, in halves by direction when bidirectional', () => {
    // 32 buckets, 128 max distance (T5's defaults): 16 per direction, 8 of them exact.
    const bi = (relative: number) => relativePositionBucket(relative, true, 32, 128);
    expect([0, -1, 1, -7, -8, -20, -127, -128, -1000, 1000].map(bi)).toEqual([0, 1, 17, 7, 8, 10, 15, 15, 15, 31]);
    // Unidirectional (the decoder): only keys before the query count, 16 exact buckets.
    const uni = (relative: number) => relativePositionBucket(relative, false, 32, 128);
    expect([5, 0, -5, -16, -40, -200].map(uni)).toEqual([0, 0, 5, 16, 23, 31]);
  });
});

const CONFIG = { model_type: 't5', vocab_size: 13, d_model: 8, d_kv: 3, d_ff: 10, num_heads: 2, num_layers: 2, num_decoder_layers: 1, relative_attention_num_buckets: 8, relative_attention_max_distance: 10 };

const example = (inputIds: number[], decoderInputIds: number[], mask = inputIds.map(() => 1)) => ({
  inputIds: Uint32Array.from(inputIds),
  attentionMask: Uint8Array.from(mask),
  decoderInputIds: Uint32Array.from(decoderInputIds),
});

const maxDifference = (a: Float64Array, b: Float64Array) => Math.max(...a.map((value, i) => Math.abs(value - b[i])));

describe('the CPU reference T5', () => {
  for (const feedForward of ['relu', 'gated-gelu'] as const) {
    const spec = parseT5Config({ ...CONFIG, feed_forward_proj: feedForward, tie_word_embeddings: feedForward === 'relu' });
    const model = new ReferenceT5(spec, randomWeights(spec, 7));
    const V = spec.vocabSize;

    it(`${feedForward}: the decoder's logits at a position do not depend on later decoder tokens`, () => {
      const a = model.logits(example([3, 4, 5, 1], [0, 6, 7, 8]));
      const b = model.logits(example([3, 4, 5, 1], [0, 6, 9, 2]));
      expect(a.every(Number.isFinite)).toBe(true);
      expect(maxDifference(a.subarray(0, 2 * V), b.subarray(0, 2 * V))).toBe(0);
      expect(maxDifference(a.subarray(2 * V), b.subarray(2 * V))).toBeGreaterThan(1e-6);
    });

    it(`${feedForward}: the encoder's padding changes nothing, and its tokens change every decoder position`, () => {
      const plain = model.logits(example([3, 4, 5, 1], [0, 6, 7]));
      const padded = model.logits(example([3, 4, 5, 1, 0, 0], [0, 6, 7], [1, 1, 1, 1, 0, 0]));
      expect(maxDifference(plain, padded)).toBeLessThan(1e-12);
      const other = model.logits(example([3, 4, 9, 1], [0, 6, 7]));
      for (let t = 0; t < 3; t++) expect(maxDifference(plain.subarray(t * V, (t + 1) * V), other.subarray(t * V, (t + 1) * V))).toBeGreaterThan(1e-6);
    });
  }

  it('reads each stack\'s bias table from block 0 only, and moves the logits with it', () => {
    const spec = parseT5Config(CONFIG);
    const weights = randomWeights(spec, 3);
    const before = new ReferenceT5(spec, weights).logits(example([2, 3, 4], [0, 5]));
    // A second encoder block's table would be ignored by transformers too: it has none.
    weights.set('encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight', new Float64Array(spec.buckets * spec.heads).fill(9));
    expect(maxDifference(before, new ReferenceT5(spec, weights).logits(example([2, 3, 4], [0, 5])))).toBe(0);
    weights.get('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight')![0] += 1;
    expect(maxDifference(before, new ReferenceT5(spec, weights).logits(example([2, 3, 4], [0, 5])))).toBeGreaterThan(1e-6);
  });

  it('with tied embeddings (v1.0) is the untied model whose head is the embedding scaled by d_model^-0.5', () => {
    const tied = parseT5Config({ ...CONFIG, tie_word_embeddings: true });
    const weights = randomWeights(tied, 5);
    const untied = { ...tied, tiedEmbeddings: false };
    const withHead = new Map(weights).set('lm_head.weight', weights.get('shared.weight')!.map((w) => w * tied.dModel ** -0.5));
    const input = example([2, 3, 4, 1], [0, 5, 6]);
    expect(maxDifference(new ReferenceT5(tied, weights).logits(input), new ReferenceT5(untied, withHead).logits(input))).toBeLessThan(1e-12);
  });

  it('takes the loss over labels other than −100, with decoder inputs shifted right from decoder_start_token_id', () => {
    const spec = parseT5Config(CONFIG);
    const model = new ReferenceT5(spec, randomWeights(spec, 11));
    const labels = Int32Array.from([6, 7, 1, -100]);
    const decoderInputIds = shiftRight(labels, spec);
    expect([...decoderInputIds]).toEqual([0, 6, 7, 1]);
    const { loss, count } = model.loss(example([3, 4, 1], [...decoderInputIds]), labels);
    expect(count).toBe(3);
    // The same as the mean of −log softmax at the three labelled positions.
    const logits = model.logits(example([3, 4, 1], [...decoderInputIds]));
    const V = spec.vocabSize;
    const nll = [6, 7, 1].map((label, t) => {
      const row = [...logits.subarray(t * V, (t + 1) * V)];
      return Math.log(row.reduce((z, v) => z + Math.exp(v), 0)) - row[label];
    });
    expect(Math.abs(loss - nll.reduce((a, b) => a + b) / 3)).toBeLessThan(1e-12);
  });
});

describe("the CPU reference T5's gradients match finite differences of its loss", () => {
  for (const feedForward of ['relu', 'gated-gelu'] as const) {
    it(`${feedForward}: every weight and adapter, padding and −100 labels included`, () => {
      const spec = parseT5Config({ ...CONFIG, feed_forward_proj: feedForward, tie_word_embeddings: feedForward === 'relu' });
      const weights = randomWeights(spec, 17);
      const model = new ReferenceT5(spec, weights);
      // Adapters on a linear of each kind: self-, cross-attention and feed-forward, both stacks.
      const rng = new Random(23);
      const adapted = ['encoder.block.0.layer.0.SelfAttention.q.weight', 'decoder.block.0.layer.1.EncDecAttention.v.weight', 'decoder.block.0.layer.2.DenseReluDense.wo.weight'];
      for (const name of adapted) {
        const [out, inFeatures] = name.endsWith('wo.weight') ? [spec.dModel, spec.dFF] : [spec.heads * spec.dKv, spec.dModel];
        const f64 = (n: number) => Float64Array.from({ length: n }, () => rng.next() - 0.5);
        model.adapters.set(name, { rank: 2, scale: 1.5, A: f64(2 * inFeatures), B: f64(out * 2) });
      }
      const input = example([3, 4, 5, 1, 0], [0, 6, 7, 8], [1, 1, 1, 1, 0]);
      const labels = Int32Array.from([6, 7, 1, -100]);
      const { grads, count } = model.gradients(input, labels);
      expect(count).toBe(3);
      expect([...grads.keys()].sort()).toEqual([...weights.keys(), ...adapted.flatMap((n) => [`${n}.lora_A`, `${n}.lora_B`])].sort());
      const loss = () => model.loss(input, labels).loss;
      for (const [name, w] of weights) expectGradient(name, loss, w, grads.get(name)!, { samples: 12 });
      for (const name of adapted) {
        expectGradient(`${name}.lora_A`, loss, model.adapters.get(name)!.A, grads.get(`${name}.lora_A`)!, { samples: 12 });
        expectGradient(`${name}.lora_B`, loss, model.adapters.get(name)!.B, grads.get(`${name}.lora_B`)!, { samples: 12 });
      }
    });
  }
});

describe('a T5 config.json', () => {
  it('reads T5 v1.0 and Flan-T5 with their defaults, and refuses what the model does not compute', () => {
    const small = parseT5Config({ model_type: 't5', vocab_size: 32128, d_model: 512, d_kv: 64, d_ff: 2048, num_heads: 8, num_layers: 6 });
    expect(small).toMatchObject({ feedForward: 'relu', tiedEmbeddings: true, decoderLayers: 6, buckets: 32, maxDistance: 128, eps: 1e-6, decoderStartTokenId: 0, eosTokenId: 1, padTokenId: 0 });
    const flan = parseT5Config({ model_type: 't5', vocab_size: 32128, d_model: 768, d_kv: 64, d_ff: 2048, num_heads: 12, num_layers: 12, num_decoder_layers: 12, feed_forward_proj: 'gated-gelu', tie_word_embeddings: false });
    expect(flan).toMatchObject({ feedForward: 'gated-gelu', tiedEmbeddings: false });
    expect(() => parseT5Config({ ...CONFIG, feed_forward_proj: 'gated-silu' })).toThrow(/"feed_forward_proj" "gated-silu" is not supported \(supported: relu, gated-gelu\)/);
    expect(() => parseT5Config({ ...CONFIG, d_kv: 0 })).toThrow(/"d_kv" must be a positive integer/);
    expect(() => parseT5Config({ ...CONFIG, relative_attention_max_distance: 2 })).toThrow(/must be above a quarter of the buckets/);
  });
});
