// T5 on the GPU, for a batch of examples padded to one encoder length S and one decoder length T:
// the logits, and the mean loss over the labels with its gradient with respect to every weight and
// to LoRA adapters on any linear layer.
// The same model as the CPU reference (src/engine/ref/t5.ts), built the same way from the engine's
// kernels — embedding, RMS norm, linear layers, attention for encoder-decoder models (queries and
// keys of different lengths, key padding masks, the relative position bias), ReLU or gated GELU,
// residual adds: each op records on a tape how to pass its output's gradient back, and the tape is
// played backward in the same command buffer. The optimiser step and the job are still to come:
// this is the model a T5 run will train.

import type { Gpu } from '../gpu/gpu';
import type { Encoder } from '../gpu/encoder';
import type { T5Spec } from '../model/t5-config';
import { pairBuckets } from './ref/t5';
import { embeddingBackward, embeddingForward } from './ops/embedding';
import { rmsnormBackward, rmsnormForward } from './ops/norm';
import { linearBackward, linearForward } from './linear';
import { seq2seqAttentionBackward, seq2seqAttentionForward } from './ops/attention-seq2seq';
import { positionBiasBackward, positionBiasForward } from './ops/position-bias';
import { gegluBackward, gegluForward, reluBackward, reluForward } from './ops/activation';
import { axpy, scale } from './ops/elementwise';
import { crossEntropy } from './ops/crossentropy';

export interface T5Batch {
  B: number;
  /** Encoder length and decoder length of every example (padded). */
  S: number;
  T: number;
  inputIds: Uint32Array; // [B, S]
  /** 1 for a token, 0 for padding. */
  attentionMask: Float32Array; // [B, S]
  decoderInputIds: Uint32Array; // [B, T]
}

/** A tensor of the forward pass and, when gradients are taken, its gradient buffer (zeroed). */
interface Value {
  data: GPUBuffer;
  grad: GPUBuffer | null;
}

export class T5Model {
  private readonly weights = new Map<string, GPUBuffer>();
  /** Buffers of one call, destroyed at its end. */
  private readonly scratch: GPUBuffer[] = [];
  private readonly steps: Array<(enc: Encoder) => void> = [];
  private readonly weightGrads = new Map<string, GPUBuffer>();
  /** LoRA adapters by the weight name of the linear layer they sit on. */
  private readonly adapters = new Map<string, { rank: number; scale: number; A: GPUBuffer; B: GPUBuffer }>();
  private recording = false;

  /** `weights`: every tensor by its checkpoint name, f32. */
  constructor(
    readonly gpu: Gpu,
    readonly spec: T5Spec,
    weights: ReadonlyMap<string, Float32Array>,
  ) {
    for (const [name, data] of weights) this.weights.set(name, gpu.upload(name, data));
  }

  private w(name: string): GPUBuffer {
    const buffer = this.weights.get(name);
    if (!buffer) throw new Error(`the T5 checkpoint has no tensor ${name}`);
    return buffer;
  }

  private buffer(label: string, floats: number): GPUBuffer {
    const buffer = this.gpu.createBuffer(label, Math.max(1, floats) * 4);
    this.scratch.push(buffer);
    return buffer;
  }

  private value(label: string, floats: number): Value {
    return { data: this.buffer(label, floats), grad: this.recording ? this.buffer(`d ${label}`, floats) : null };
  }

  private record(back: (enc: Encoder) => void): void {
    if (this.recording) this.steps.push(back);
  }

  /** A LoRA adapter on the linear layer whose weight is `name`: y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ, A [rank, in], B [out, rank]. */
  attachAdapter(name: string, rank: number, scale: number, A: Float32Array, B: Float32Array): void {
    this.w(name);
    this.adapters.set(name, { rank, scale, A: this.gpu.upload(`${name} lora_A`, A), B: this.gpu.upload(`${name} lora_B`, B) });
  }

  /** The gradient buffer of a weight (or an adapter's `<weight>.lora_A` / `.lora_B`), zeroed when made. */
  private weightGrad(name: string, of: GPUBuffer = this.w(name)): GPUBuffer {
    let grad = this.weightGrads.get(name);
    if (!grad) this.weightGrads.set(name, (grad = this.gpu.createBuffer(`d ${name}`, of.size)));
    return grad;
  }

  /** y [rows, out] = x [rows, in] · Wᵀ by name, plus its adapter's low-rank term if it has one. */
  private linear(enc: Encoder, x: Value, name: string, out: number, inFeatures: number, rows: number): Value {
    const layer = { name, out, in: inFeatures, weight: this.w(name), bias: null };
    const attached = this.adapters.get(name);
    const adapter = attached
      ? {
          ...attached,
          dA: this.weightGrad(`${name}.lora_A`, attached.A),
          dB: this.weightGrad(`${name}.lora_B`, attached.B),
          u: this.buffer(`${name} x·Aᵀ`, rows * attached.rank),
          du: this.buffer(`${name} d(x·Aᵀ)`, rows * attached.rank),
        }
      : null;
    const y = this.value(name, rows * out);
    linearForward(enc, y.data, x.data, layer, adapter, rows);
    this.record((e) => linearBackward(e, x.grad, y.grad!, x.data, layer, adapter, this.weightGrad(name), rows));
    return y;
  }

  private norm(enc: Encoder, x: Value, name: string, rows: number): Value {
    const { dModel: C, eps } = this.spec;
    const rstd = this.buffer(`${name} rstd`, rows);
    const y = this.value(name, rows * C);
    rmsnormForward(enc, y.data, rstd, x.data, this.w(name), rows, C, eps);
    this.record((e) => rmsnormBackward(e, x.grad!, this.weightGrad(name), y.grad!, x.data, this.w(name), rstd, rows, C));
    return y;
  }

  /** x + delta, both rows × d_model. */
  private add(enc: Encoder, x: Value, delta: Value, rows: number): Value {
    const n = rows * this.spec.dModel;
    const y = this.value('residual', n);
    enc.copy(x.data, y.data, n * 4);
    axpy(enc, y.data, delta.data, 1, n);
    this.record((e) => {
      axpy(e, x.grad!, y.grad!, 1, n);
      axpy(e, delta.grad!, y.grad!, 1, n);
    });
    return y;
  }

  private embed(enc: Encoder, ids: GPUBuffer, rows: number, length: number): Value {
    const C = this.spec.dModel;
    const out = this.value('embedding', rows * C);
    embeddingForward(enc, out.data, ids, this.w('shared.weight'), null, rows, length, C);
    this.record((e) => embeddingBackward(e, this.weightGrad('shared.weight'), null, out.grad!, ids, rows, length, C));
    return out;
  }

  private positionBias(enc: Encoder, stack: 'encoder' | 'decoder', length: number): Value {
    const { heads: H, buckets } = this.spec;
    const name = `${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`;
    const pairs = this.gpu.upload(`${stack} pair buckets`, pairBuckets(this.spec, length, length, stack === 'encoder'));
    this.scratch.push(pairs);
    const shape = { H, Tq: length, Tk: length, buckets };
    const bias = this.value(`${stack} position bias`, H * length * length);
    positionBiasForward(enc, bias.data, this.w(name), pairs, shape);
    this.record((e) => positionBiasBackward(e, this.weightGrad(name), bias.grad!, pairs, shape));
    return bias;
  }

  /** attention(x as queries, kv as keys and values) through the prefix's q, k, v and o. */
  private attention(enc: Encoder, x: Value, kv: Value, prefix: string, shape: { B: number; Tq: number; Tk: number; causal: boolean }, bias: Value | null, mask: GPUBuffer): Value {
    const { dModel: C, dKv: D, heads: H } = this.spec;
    const [rowsQ, rowsK] = [shape.B * shape.Tq, shape.B * shape.Tk];
    const q = this.linear(enc, x, `${prefix}.q.weight`, H * D, C, rowsQ);
    const k = this.linear(enc, kv, `${prefix}.k.weight`, H * D, C, rowsK);
    const v = this.linear(enc, kv, `${prefix}.v.weight`, H * D, C, rowsK);
    const heads = this.value(`${prefix} heads`, rowsQ * H * D);
    const lse = this.buffer(`${prefix} lse`, shape.B * H * shape.Tq);
    const full = { ...shape, H, D, scale: 1 };
    const inputs = { q: q.data, k: k.data, v: v.data, bias: bias?.data ?? null, mask };
    seq2seqAttentionForward(enc, heads.data, lse, inputs, full);
    this.record((e) => {
      const delta = this.buffer(`${prefix} delta`, shape.B * H * shape.Tq);
      seq2seqAttentionBackward(e, { dq: q.grad!, dk: k.grad!, dv: v.grad!, dbias: bias?.grad ?? null, delta }, heads.grad!, heads.data, lse, inputs, full);
    });
    return this.linear(enc, heads, `${prefix}.o.weight`, C, H * D, rowsQ);
  }

  private feedForward(enc: Encoder, x: Value, prefix: string, rows: number): Value {
    const { dModel: C, dFF: F } = this.spec;
    const hidden = this.value(`${prefix} hidden`, rows * F);
    const n = rows * F;
    if (this.spec.feedForward === 'relu') {
      const pre = this.linear(enc, x, `${prefix}.wi.weight`, F, C, rows);
      reluForward(enc, hidden.data, pre.data, n);
      this.record((e) => reluBackward(e, pre.grad!, hidden.grad!, pre.data, n));
    } else {
      const gate = this.linear(enc, x, `${prefix}.wi_0.weight`, F, C, rows);
      const up = this.linear(enc, x, `${prefix}.wi_1.weight`, F, C, rows);
      gegluForward(enc, hidden.data, gate.data, up.data, n);
      this.record((e) => gegluBackward(e, gate.grad!, up.grad!, hidden.grad!, gate.data, up.data, n));
    }
    return this.linear(enc, hidden, `${prefix}.wo.weight`, C, F, rows);
  }

  /** The logits [B·T, vocab] of the batch, recorded on the tape when gradients are taken. */
  private run(enc: Encoder, batch: T5Batch): Value {
    const { dModel: C, vocabSize: V } = this.spec;
    const { B, S, T } = batch;
    const [encRows, decRows] = [B * S, B * T];
    const upload = (label: string, data: Uint32Array | Float32Array) => {
      const buffer = this.gpu.upload(label, data);
      this.scratch.push(buffer);
      return buffer;
    };
    const mask = upload('attention mask', batch.attentionMask);
    const everyToken = upload('decoder mask', new Float32Array(B * T).fill(1));

    let x = this.embed(enc, upload('input ids', batch.inputIds), encRows, S);
    const encoderBias = this.positionBias(enc, 'encoder', S);
    for (let l = 0; l < this.spec.encoderLayers; l++) {
      const at = `encoder.block.${l}.layer`;
      const n0 = this.norm(enc, x, `${at}.0.layer_norm.weight`, encRows);
      x = this.add(enc, x, this.attention(enc, n0, n0, `${at}.0.SelfAttention`, { B, Tq: S, Tk: S, causal: false }, encoderBias, mask), encRows);
      x = this.add(enc, x, this.feedForward(enc, this.norm(enc, x, `${at}.1.layer_norm.weight`, encRows), `${at}.1.DenseReluDense`, encRows), encRows);
    }
    const encoded = this.norm(enc, x, 'encoder.final_layer_norm.weight', encRows);

    let y = this.embed(enc, upload('decoder input ids', batch.decoderInputIds), decRows, T);
    const decoderBias = this.positionBias(enc, 'decoder', T);
    for (let l = 0; l < this.spec.decoderLayers; l++) {
      const at = `decoder.block.${l}.layer`;
      const n0 = this.norm(enc, y, `${at}.0.layer_norm.weight`, decRows);
      y = this.add(enc, y, this.attention(enc, n0, n0, `${at}.0.SelfAttention`, { B, Tq: T, Tk: T, causal: true }, decoderBias, everyToken), decRows);
      const n1 = this.norm(enc, y, `${at}.1.layer_norm.weight`, decRows);
      y = this.add(enc, y, this.attention(enc, n1, encoded, `${at}.1.EncDecAttention`, { B, Tq: T, Tk: S, causal: false }, null, mask), decRows);
      y = this.add(enc, y, this.feedForward(enc, this.norm(enc, y, `${at}.2.layer_norm.weight`, decRows), `${at}.2.DenseReluDense`, decRows), decRows);
    }
    let out = this.norm(enc, y, 'decoder.final_layer_norm.weight', decRows);
    if (this.spec.tiedEmbeddings) {
      // v1.0: the tied head sees the output scaled by d_model^-0.5.
      const factor = C ** -0.5;
      const scaled = this.value('decoder output scaled', decRows * C);
      const unscaled = out;
      scale(enc, scaled.data, unscaled.data, factor, decRows * C);
      this.record((e) => axpy(e, unscaled.grad!, scaled.grad!, factor, decRows * C));
      out = scaled;
    }
    return this.linear(enc, out, this.spec.tiedEmbeddings ? 'shared.weight' : 'lm_head.weight', V, C, decRows);
  }

  private finish(): void {
    for (const buffer of this.scratch.splice(0)) buffer.destroy();
    this.steps.length = 0;
    this.recording = false;
  }

  /** Logits [B, T, vocab] of the batch. */
  async logits(batch: T5Batch): Promise<Float32Array> {
    let logits: Value | null = null;
    await this.gpu.run('t5 forward', (enc) => (logits = this.run(enc, batch)));
    const result = await this.gpu.readF32(logits!.data, batch.B * batch.T * this.spec.vocabSize);
    this.finish();
    return result;
  }

  /**
   * The mean cross-entropy over the labels [B, T] that are not −100, and its gradient with respect
   * to every weight, by checkpoint name (an adapter's as `<weight>.lora_A`, `.lora_B`).
   */
  async gradients(batch: T5Batch, labels: Int32Array): Promise<{ loss: number; count: number; grads: Map<string, Float32Array> }> {
    const rows = batch.B * batch.T;
    const count = labels.filter((label) => label !== -100).length;
    if (count === 0) throw new RangeError('the batch has no label to learn (every one is −100)');
    this.recording = true;
    for (const grad of this.weightGrads.values()) grad.destroy();
    this.weightGrads.clear();
    const losses = this.buffer('losses', rows);
    await this.gpu.run('t5 forward and backward', (enc) => {
      const logits = this.run(enc, batch);
      // The logits become their gradient in place: d(mean loss)/dlogits.
      const targets = this.gpu.upload('labels', labels);
      this.scratch.push(targets);
      crossEntropy(enc, losses, logits.data, targets, rows, this.spec.vocabSize, 1 / count);
      enc.copy(logits.data, logits.grad!, logits.data.size);
      for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i](enc);
    });
    const perRow = await this.gpu.readF32(losses, rows);
    const grads = new Map<string, Float32Array>();
    for (const [name, buffer] of this.weightGrads) grads.set(name, await this.gpu.readF32(buffer));
    this.finish();
    return { loss: perRow.reduce((sum, l) => sum + l, 0) / count, count, grads };
  }

  destroy(): void {
    this.finish();
    const adapters = [...this.adapters.values()].flatMap((a) => [a.A, a.B]);
    for (const buffer of [...this.weights.values(), ...this.weightGrads.values(), ...adapters]) buffer.destroy();
    this.weights.clear();
    this.weightGrads.clear();
    this.adapters.clear();
  }
}
