// The CPU reference T5 (T5ForConditionalGeneration's forward and the gradient of its loss with
// respect to every weight, in f64 loops, for small sizes only): the model the GPU kernels for
// encoder-decoder models are compared with. It follows
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
import { rmsnormBackwardRef, rmsnormForwardRef } from './norm';
import { gegluBackwardRef, gegluForwardRef, reluBackwardRef, reluForwardRef } from './activation';
import { seq2seqAttentionBackwardRef, seq2seqAttentionForwardRef } from './attention-seq2seq';
import { positionBiasBackwardRef, positionBiasForwardRef } from './position-bias';

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

/** The bucket of every (query, key) pair [queries, keys], queries from position firstQuery on, which the position-bias kernels gather by. */
export function pairBuckets(spec: T5Spec, queries: number, keys: number, bidirectional: boolean, firstQuery = 0): Uint32Array {
  const buckets = new Uint32Array(queries * keys);
  for (let i = 0; i < queries; i++) for (let j = 0; j < keys; j++) buckets[i * keys + j] = relativePositionBucket(j - (firstQuery + i), bidirectional, spec.buckets, spec.maxDistance);
  return buckets;
}

/**
 * A tensor of the forward pass and, when gradients are taken, its gradient: each op below records
 * on the tape how to pass its output's gradient back to its inputs and weights.
 */
interface Value {
  data: Float64Array;
  grad: Float64Array;
}

class Tape {
  private readonly steps: Array<() => void> = [];
  readonly weightGrads = new Map<string, Float64Array>();

  constructor(readonly recording: boolean) {}

  value(data: Float64Array): Value {
    return { data, grad: this.recording ? new Float64Array(data.length) : EMPTY };
  }

  /** Runs `back` when the tape is played backward (last recorded first). */
  record(back: () => void): void {
    if (this.recording) this.steps.push(back);
  }

  weightGrad(name: string, size: number): Float64Array {
    let grad = this.weightGrads.get(name);
    if (!grad) this.weightGrads.set(name, (grad = new Float64Array(size)));
    return grad;
  }

  backward(): void {
    for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i]();
  }
}

const EMPTY = new Float64Array(0);

/** A LoRA adapter on a linear layer: y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ, A [r, in], B [out, r]. */
export interface T5Adapter {
  rank: number;
  scale: number;
  A: Float64Array;
  B: Float64Array;
}

export class ReferenceT5 {
  /** Adapters by the weight name of the linear layer they sit on (`….SelfAttention.q.weight`). */
  readonly adapters = new Map<string, T5Adapter>();

  constructor(
    readonly spec: T5Spec,
    readonly weights: T5Weights,
  ) {}

  private w(name: string): Float64Array {
    const w = this.weights.get(name);
    if (!w) throw new Error(`the T5 reference has no weight ${name}`);
    return w;
  }

  /** y [rows, out] = x [rows, in] · Wᵀ, W [out, in] by name. */
  private linear(tape: Tape, x: Value, name: string, rows: number): Value {
    const w = this.w(name);
    const n = x.data.length / rows;
    const m = w.length / n;
    const y = tape.value(new Float64Array(rows * m));
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < m; o++) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += x.data[r * n + k] * w[o * n + k];
        y.data[r * m + o] = sum;
      }
    }
    tape.record(() => {
      const dw = tape.weightGrad(name, w.length);
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < m; o++) {
          const dy = y.grad[r * m + o];
          for (let k = 0; k < n; k++) {
            x.grad[r * n + k] += dy * w[o * n + k];
            dw[o * n + k] += dy * x.data[r * n + k];
          }
        }
      }
    });
    const adapter = this.adapters.get(name);
    if (adapter) this.lowRank(tape, x, y, name, adapter, rows, n, m);
    return y;
  }

  /** y += s·(x·Aᵀ)·Bᵀ, with dA and dB as `<name>.lora_A` and `<name>.lora_B`. */
  private lowRank(tape: Tape, x: Value, y: Value, name: string, a: T5Adapter, rows: number, n: number, m: number): void {
    const r = a.rank;
    const u = new Float64Array(rows * r);
    for (let i = 0; i < rows; i++) for (let j = 0; j < r; j++) for (let k = 0; k < n; k++) u[i * r + j] += x.data[i * n + k] * a.A[j * n + k];
    for (let i = 0; i < rows; i++) for (let o = 0; o < m; o++) for (let j = 0; j < r; j++) y.data[i * m + o] += a.scale * u[i * r + j] * a.B[o * r + j];
    tape.record(() => {
      const [dA, dB] = [tape.weightGrad(`${name}.lora_A`, a.A.length), tape.weightGrad(`${name}.lora_B`, a.B.length)];
      const du = new Float64Array(rows * r);
      for (let i = 0; i < rows; i++) {
        for (let o = 0; o < m; o++) {
          const dy = a.scale * y.grad[i * m + o];
          for (let j = 0; j < r; j++) {
            dB[o * r + j] += dy * u[i * r + j];
            du[i * r + j] += dy * a.B[o * r + j];
          }
        }
      }
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < r; j++) {
          for (let k = 0; k < n; k++) {
            dA[j * n + k] += du[i * r + j] * x.data[i * n + k];
            x.grad[i * n + k] += du[i * r + j] * a.A[j * n + k];
          }
        }
      }
    });
  }

  private norm(tape: Tape, x: Value, name: string, rows: number): Value {
    const { dModel: C, eps } = this.spec;
    const weight = this.w(name);
    const rstd = new Float64Array(rows);
    const y = tape.value(new Float64Array(x.data.length));
    rmsnormForwardRef(y.data, rstd, x.data, weight, rows, C, eps);
    tape.record(() => rmsnormBackwardRef(x.grad, tape.weightGrad(name, C), y.grad, x.data, weight, rstd, rows, C));
    return y;
  }

  private add(tape: Tape, x: Value, delta: Value): Value {
    const y = tape.value(x.data.map((value, i) => value + delta.data[i]));
    tape.record(() => {
      for (let i = 0; i < y.grad.length; i++) {
        x.grad[i] += y.grad[i];
        delta.grad[i] += y.grad[i];
      }
    });
    return y;
  }

  private embed(tape: Tape, ids: Uint32Array): Value {
    const C = this.spec.dModel;
    const table = this.w('shared.weight');
    const out = tape.value(new Float64Array(ids.length * C));
    ids.forEach((id, r) => out.data.set(table.subarray(id * C, (id + 1) * C), r * C));
    tape.record(() => {
      const grad = tape.weightGrad('shared.weight', table.length);
      ids.forEach((id, r) => {
        for (let c = 0; c < C; c++) grad[id * C + c] += out.grad[r * C + c];
      });
    });
    return out;
  }

  /** A stack's relative position bias [heads, length, length], from the table in its block 0. */
  private positionBias(tape: Tape, stack: 'encoder' | 'decoder', length: number): Value {
    const name = `${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`;
    const table = this.w(name);
    const shape = { H: this.spec.heads, Tq: length, Tk: length, buckets: this.spec.buckets };
    const buckets = pairBuckets(this.spec, length, length, stack === 'encoder');
    const bias = tape.value(new Float64Array(shape.H * length * length));
    positionBiasForwardRef(bias.data, table, buckets, shape);
    tape.record(() => positionBiasBackwardRef(tape.weightGrad(name, table.length), bias.grad, buckets, shape));
    return bias;
  }

  /**
   * Multi-head attention of `queries` rows of x over `keys` rows of kv (the same rows for
   * self-attention, the encoder output for cross-attention), with the kernels' CPU twin
   * (ref/attention-seq2seq.ts): `bias` [heads, queries, keys] added to the scores, keys where `mask`
   * is 0 never seen, causal for the decoder's self-attention. No 1/√d_kv scaling (T5's
   * initialisation folds it into q).
   */
  private attention(tape: Tape, prefix: string, x: Value, queries: number, kv: Value, keys: number, bias: Value | null, mask: Float64Array, causal: boolean): Value {
    const { dKv: D, heads: H } = this.spec;
    const q = this.linear(tape, x, `${prefix}.q.weight`, queries);
    const k = this.linear(tape, kv, `${prefix}.k.weight`, keys);
    const v = this.linear(tape, kv, `${prefix}.v.weight`, keys);
    const heads = tape.value(new Float64Array(queries * H * D));
    const shape = { B: 1, Tq: queries, Tk: keys, H, D, scale: 1, causal };
    const inputs = { q: q.data, k: k.data, v: v.data, bias: bias?.data ?? null, mask };
    seq2seqAttentionForwardRef(heads.data, new Float64Array(H * queries), inputs, shape);
    tape.record(() => seq2seqAttentionBackwardRef({ dq: q.grad, dk: k.grad, dv: v.grad, dbias: bias?.grad ?? null }, heads.grad, inputs, shape));
    return this.linear(tape, heads, `${prefix}.o.weight`, queries);
  }

  private feedForward(tape: Tape, prefix: string, x: Value, rows: number): Value {
    const F = this.spec.dFF;
    const hidden = tape.value(new Float64Array(rows * F));
    if (this.spec.feedForward === 'relu') {
      const pre = this.linear(tape, x, `${prefix}.wi.weight`, rows);
      reluForwardRef(hidden.data, pre.data, hidden.data.length);
      tape.record(() => reluBackwardRef(pre.grad, hidden.grad, pre.data, hidden.data.length));
    } else {
      // gated-gelu: gelu_new (the tanh approximation) of wi_0, times wi_1.
      const gate = this.linear(tape, x, `${prefix}.wi_0.weight`, rows);
      const up = this.linear(tape, x, `${prefix}.wi_1.weight`, rows);
      gegluForwardRef(hidden.data, gate.data, up.data, hidden.data.length);
      tape.record(() => gegluBackwardRef(gate.grad, up.grad, hidden.grad, gate.data, up.data, hidden.data.length));
    }
    return this.linear(tape, hidden, `${prefix}.wo.weight`, rows);
  }

  /** The encoder's output [S, d_model] (its final norm applied). */
  private encode(tape: Tape, inputIds: Uint32Array, attentionMask: Uint8Array): Value {
    const S = inputIds.length;
    let x = this.embed(tape, inputIds);
    const bias = this.positionBias(tape, 'encoder', S);
    const mask = Float64Array.from(attentionMask);
    for (let l = 0; l < this.spec.encoderLayers; l++) {
      const at = `encoder.block.${l}.layer`;
      const n0 = this.norm(tape, x, `${at}.0.layer_norm.weight`, S);
      x = this.add(tape, x, this.attention(tape, `${at}.0.SelfAttention`, n0, S, n0, S, bias, mask, false));
      x = this.add(tape, x, this.feedForward(tape, `${at}.1.DenseReluDense`, this.norm(tape, x, `${at}.1.layer_norm.weight`, S), S));
    }
    return this.norm(tape, x, 'encoder.final_layer_norm.weight', S);
  }

  /** The decoder's logits [T, vocab] over an encoder output. */
  private decode(tape: Tape, encoded: Value, attentionMask: Uint8Array, decoderInputIds: Uint32Array): Value {
    const T = decoderInputIds.length;
    const S = attentionMask.length;
    let x = this.embed(tape, decoderInputIds);
    const bias = this.positionBias(tape, 'decoder', T);
    const everyToken = new Float64Array(T).fill(1);
    const encoderMask = Float64Array.from(attentionMask);
    for (let l = 0; l < this.spec.decoderLayers; l++) {
      const at = `decoder.block.${l}.layer`;
      const n0 = this.norm(tape, x, `${at}.0.layer_norm.weight`, T);
      x = this.add(tape, x, this.attention(tape, `${at}.0.SelfAttention`, n0, T, n0, T, bias, everyToken, true));
      const n1 = this.norm(tape, x, `${at}.1.layer_norm.weight`, T);
      x = this.add(tape, x, this.attention(tape, `${at}.1.EncDecAttention`, n1, T, encoded, S, null, encoderMask, false));
      x = this.add(tape, x, this.feedForward(tape, `${at}.2.DenseReluDense`, this.norm(tape, x, `${at}.2.layer_norm.weight`, T), T));
    }
    let out = this.norm(tape, x, 'decoder.final_layer_norm.weight', T);
    if (this.spec.tiedEmbeddings) {
      const factor = this.spec.dModel ** -0.5;
      const scaled = tape.value(out.data.map((value) => value * factor));
      const unscaled = out;
      tape.record(() => scaled.grad.forEach((g, i) => (unscaled.grad[i] += g * factor)));
      out = scaled;
    }
    return this.linear(tape, out, this.spec.tiedEmbeddings ? 'shared.weight' : 'lm_head.weight', T);
  }

  private run(tape: Tape, example: T5Example): Value {
    return this.decode(tape, this.encode(tape, example.inputIds, example.attentionMask), example.attentionMask, example.decoderInputIds);
  }

  logits(example: T5Example): Float64Array {
    return this.run(new Tape(false), example).data;
  }

  /** Mean cross-entropy over the labels that are not −100 (transformers' `labels`, no shift inside). */
  loss(example: T5Example, labels: Int32Array): { loss: number; count: number } {
    return meanCrossEntropy(this.logits(example), labels, this.spec.vocabSize, null);
  }

  /** The loss and its gradient with respect to every weight, by checkpoint name (an adapter's as `<weight>.lora_A`, `.lora_B`). */
  gradients(example: T5Example, labels: Int32Array): { loss: number; count: number; grads: Map<string, Float64Array> } {
    const tape = new Tape(true);
    const logits = this.run(tape, example);
    const result = meanCrossEntropy(logits.data, labels, this.spec.vocabSize, logits.grad);
    tape.backward();
    return { ...result, grads: tape.weightGrads };
  }
}

/** Mean cross-entropy of the rows whose label is not −100; with `dlogits`, its gradient written there. */
function meanCrossEntropy(logits: Float64Array, labels: Int32Array, V: number, dlogits: Float64Array | null): { loss: number; count: number } {
  const count = labels.filter((label) => label !== -100).length;
  let sum = 0;
  labels.forEach((label, t) => {
    if (label === -100) return;
    const row = logits.subarray(t * V, (t + 1) * V);
    const max = Math.max(...row);
    let z = 0;
    for (const value of row) z += Math.exp(value - max);
    sum += Math.log(z) + max - row[label];
    if (dlogits) for (let v = 0; v < V; v++) dlogits[t * V + v] += (Math.exp(row[v] - max) / z - (v === label ? 1 : 0)) / count;
  });
  return { loss: count > 0 ? sum / count : NaN, count };
}

/** transformers' shift-right of the labels with the spec's ids (src/data/seq2seq.ts). */
export function shiftRight(labels: Int32Array, spec: T5Spec): Uint32Array {
  return shiftLabels(labels, spec.decoderStartTokenId, spec.padTokenId);
}
