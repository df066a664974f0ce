// The CPU reference T5 (T5ForConditionalGeneration's forward, in f64 loops, for small sizes only):
// the model the GPU kernels for encoder-decoder models are to be compared with. It follows
// transformers' modeling_t5.py:
// - pre-norm blocks with T5's RMS norm (no mean, no bias): the encoder's self-attention and
//   feed-forward; the decoder's causal self-attention, cross-attention over the encoder output and
//   feed-forward; a final norm after each stack;
// - attention scores q·kᵀ without 1/√d_kv, plus a relative position bias: one [buckets, heads] table
//   per stack (in its block 0, shared by every block), bidirectional buckets in the encoder,
//   unidirectional in the decoder; none in cross-attention; padded encoder positions never attended;
// - tied embeddings (v1.0) scale the decoder output by d_model^-0.5 before the shared embedding.
// Weights are read by their checkpoint names (`encoder.block.0.layer.0.SelfAttention.q.weight`).

import type { T5Spec } from '../../model/t5-config';
import { shiftRight as shiftLabels } from '../../data/seq2seq';
import { rmsnormForwardRef } from './norm';
import { gegluForwardRef, reluForwardRef } from './activation';
import { seq2seqAttentionForwardRef } from './attention-seq2seq';
import { positionBiasForwardRef } from './position-bias';

export type T5Weights = ReadonlyMap<string, Float64Array>;

/** One example: the encoder's input ids with their attention mask (1: a token, 0: padding), and the decoder's input ids. */
export interface T5Example {
  inputIds: Uint32Array;
  attentionMask: Uint8Array;
  decoderInputIds: Uint32Array;
}

/**
 * T5's bucket of a relative position (key position − query position): exact for small distances,
 * logarithmic up to maxDistance, the last bucket beyond. Bidirectional buckets give positive
 * positions (keys after the query) the upper half; unidirectional ones count only keys before.
 */
export function relativePositionBucket(relative: number, bidirectional: boolean, buckets: number, maxDistance: number): number {
  let bucket = 0;
  let n = buckets;
  let distance: number;
  if (bidirectional) {
    n = Math.floor(n / 2);
    if (relative > 0) bucket += n;
    distance = Math.abs(relative);
  } else {
    distance = Math.max(0, -relative);
  }
  const maxExact = Math.floor(n / 2);
  if (distance < maxExact) return bucket + distance;
  // transformers computes the logarithm in f32 and truncates it toward zero (.to(torch.long)).
  const large = maxExact + Math.trunc(Math.fround(Math.fround(Math.log(Math.fround(distance / maxExact)) / Math.fround(Math.log(maxDistance / maxExact))) * (n - maxExact)));
  return bucket + Math.min(large, n - 1);
}

/** The bucket of every (query, key) pair [queries, keys], which the position-bias kernels gather by. */
export function pairBuckets(spec: T5Spec, queries: number, keys: number, bidirectional: boolean): Uint32Array {
  const buckets = new Uint32Array(queries * keys);
  for (let i = 0; i < queries; i++) for (let j = 0; j < keys; j++) buckets[i * keys + j] = relativePositionBucket(j - i, bidirectional, spec.buckets, spec.maxDistance);
  return buckets;
}

/** The bias [heads, queries, keys] of a stack's table [buckets, heads]. */
export function positionBias(table: Float64Array, spec: T5Spec, queries: number, keys: number, bidirectional: boolean): Float64Array {
  const bias = new Float64Array(spec.heads * queries * keys);
  positionBiasForwardRef(bias, table, pairBuckets(spec, queries, keys, bidirectional), { H: spec.heads, Tq: queries, Tk: keys, buckets: spec.buckets });
  return bias;
}

/** y [rows, out] = x [rows, in] · Wᵀ, W [out, in]. */
function linear(x: Float64Array, w: Float64Array, rows: number, inFeatures: number): Float64Array {
  const out = w.length / inFeatures;
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let sum = 0;
      for (let k = 0; k < inFeatures; k++) sum += x[r * inFeatures + k] * w[o * inFeatures + k];
      y[r * out + o] = sum;
    }
  }
  return y;
}

function rmsNorm(x: Float64Array, weight: Float64Array, rows: number, spec: T5Spec): Float64Array {
  const out = new Float64Array(x.length);
  rmsnormForwardRef(out, new Float64Array(rows), x, weight, rows, spec.dModel, spec.eps);
  return out;
}

export class ReferenceT5 {
  constructor(
    readonly spec: T5Spec,
    readonly weights: T5Weights,
  ) {}

  private w(name: string): Float64Array {
    const w = this.weights.get(name);
    if (!w) throw new Error(`the T5 reference has no weight ${name}`);
    return w;
  }

  /**
   * Multi-head attention of `queries` rows of x over `keys` rows of kv (the same rows for
   * self-attention, the encoder output for cross-attention), with the kernels' CPU twin
   * (ref/attention-seq2seq.ts): `bias` [heads, queries, keys] added to the scores, keys where `mask`
   * is 0 never seen, causal for the decoder's self-attention. No 1/√d_kv scaling (T5's
   * initialisation folds it into q).
   */
  private attention(prefix: string, x: Float64Array, queries: number, kv: Float64Array, keys: number, bias: Float64Array | null, mask: Float64Array, causal: boolean): Float64Array {
    const { dModel: C, dKv: D, heads: H } = this.spec;
    const q = linear(x, this.w(`${prefix}.q.weight`), queries, C);
    const k = linear(kv, this.w(`${prefix}.k.weight`), keys, C);
    const v = linear(kv, this.w(`${prefix}.v.weight`), keys, C);
    const heads = new Float64Array(queries * H * D);
    const shape = { B: 1, Tq: queries, Tk: keys, H, D, scale: 1, causal };
    seq2seqAttentionForwardRef(heads, new Float64Array(H * queries), { q, k, v, bias, mask }, shape);
    return linear(heads, this.w(`${prefix}.o.weight`), queries, H * D);
  }

  private feedForward(prefix: string, x: Float64Array, rows: number): Float64Array {
    const { dModel: C, dFF: F } = this.spec;
    const hidden = new Float64Array(rows * F);
    if (this.spec.feedForward === 'relu') {
      reluForwardRef(hidden, linear(x, this.w(`${prefix}.wi.weight`), rows, C), hidden.length);
    } else {
      // gated-gelu: gelu_new (the tanh approximation) of wi_0, times wi_1.
      gegluForwardRef(hidden, linear(x, this.w(`${prefix}.wi_0.weight`), rows, C), linear(x, this.w(`${prefix}.wi_1.weight`), rows, C), hidden.length);
    }
    return linear(hidden, this.w(`${prefix}.wo.weight`), rows, F);
  }

  private embed(ids: Uint32Array): Float64Array {
    const C = this.spec.dModel;
    const table = this.w('shared.weight');
    const out = new Float64Array(ids.length * C);
    ids.forEach((id, r) => out.set(table.subarray(id * C, (id + 1) * C), r * C));
    return out;
  }

  /** x += f(x): a residual sub-layer. */
  private static add(x: Float64Array, delta: Float64Array): void {
    for (let i = 0; i < x.length; i++) x[i] += delta[i];
  }

  /** The encoder's output [S, d_model] (its final norm applied). */
  encode(inputIds: Uint32Array, attentionMask: Uint8Array): Float64Array {
    const S = inputIds.length;
    const x = this.embed(inputIds);
    const bias = positionBias(this.w('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'), this.spec, S, S, true);
    const mask = Float64Array.from(attentionMask);
    for (let l = 0; l < this.spec.encoderLayers; l++) {
      const at = `encoder.block.${l}.layer`;
      const n0 = rmsNorm(x, this.w(`${at}.0.layer_norm.weight`), S, this.spec);
      ReferenceT5.add(x, this.attention(`${at}.0.SelfAttention`, n0, S, n0, S, bias, mask, false));
      ReferenceT5.add(x, this.feedForward(`${at}.1.DenseReluDense`, rmsNorm(x, this.w(`${at}.1.layer_norm.weight`), S, this.spec), S));
    }
    return rmsNorm(x, this.w('encoder.final_layer_norm.weight'), S, this.spec);
  }

  /** The decoder's logits [T, vocab] over an encoder output. */
  decode(encoded: Float64Array, attentionMask: Uint8Array, decoderInputIds: Uint32Array): Float64Array {
    const C = this.spec.dModel;
    const T = decoderInputIds.length;
    const S = attentionMask.length;
    const x = this.embed(decoderInputIds);
    const bias = positionBias(this.w('decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'), this.spec, T, T, false);
    const everyToken = new Float64Array(T).fill(1);
    const encoderMask = Float64Array.from(attentionMask);
    for (let l = 0; l < this.spec.decoderLayers; l++) {
      const at = `decoder.block.${l}.layer`;
      const n0 = rmsNorm(x, this.w(`${at}.0.layer_norm.weight`), T, this.spec);
      ReferenceT5.add(x, this.attention(`${at}.0.SelfAttention`, n0, T, n0, T, bias, everyToken, true));
      const n1 = rmsNorm(x, this.w(`${at}.1.layer_norm.weight`), T, this.spec);
      ReferenceT5.add(x, this.attention(`${at}.1.EncDecAttention`, n1, T, encoded, S, null, encoderMask, false));
      ReferenceT5.add(x, this.feedForward(`${at}.2.DenseReluDense`, rmsNorm(x, this.w(`${at}.2.layer_norm.weight`), T, this.spec), T));
    }
    const out = rmsNorm(x, this.w('decoder.final_layer_norm.weight'), T, this.spec);
    if (this.spec.tiedEmbeddings) for (let i = 0; i < out.length; i++) out[i] *= C ** -0.5;
    const head = this.w(this.spec.tiedEmbeddings ? 'shared.weight' : 'lm_head.weight');
    return linear(out, head, T, C);
  }

  logits(example: T5Example): Float64Array {
    return this.decode(this.encode(example.inputIds, example.attentionMask), example.attentionMask, example.decoderInputIds);
  }

  /** Mean cross-entropy over the labels that are not −100 (transformers' `labels`, no shift inside). */
  loss(example: T5Example, labels: Int32Array): { loss: number; count: number } {
    const V = this.spec.vocabSize;
    const logits = this.logits(example);
    let sum = 0;
    let count = 0;
    labels.forEach((label, t) => {
      if (label === -100) return;
      const row = logits.subarray(t * V, (t + 1) * V);
      const max = Math.max(...row);
      let z = 0;
      for (const value of row) z += Math.exp(value - max);
      sum += Math.log(z) + max - row[label];
      count++;
    });
    return { loss: count > 0 ? sum / count : NaN, count };
  }
}

/** transformers' shift-right of the labels with the spec's ids (src/data/seq2seq.ts). */
export function shiftRight(labels: Int32Array, spec: T5Spec): Uint32Array {
  return shiftLabels(labels, spec.decoderStartTokenId, spec.padTokenId);
}
