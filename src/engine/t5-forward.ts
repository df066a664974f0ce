// T5's forward pass on the GPU, from the token ids to the logits, for a batch of examples padded to
// one encoder length S and one decoder length T: the same model as the CPU reference
// (src/engine/ref/t5.ts), built from the engine's kernels — embedding, RMS norm, linear layers,
// attention for encoder-decoder models (queries and keys of different lengths, key padding masks,
// the relative position bias), ReLU or gated GELU, residual adds. Forward only: training T5 (its
// backward, adapters, the job) is still to come.

import type { Gpu } from '../gpu/gpu';
import type { Encoder } from '../gpu/encoder';
import type { T5Spec } from '../model/t5-config';
import { pairBuckets } from './ref/t5';
import { embeddingForward } from './ops/embedding';
import { rmsnormForward } from './ops/norm';
import { linearForward } from './linear';
import { seq2seqAttentionForward } from './ops/attention-seq2seq';
import { positionBiasForward } from './ops/position-bias';
import { gegluForward, reluForward } from './ops/activation';
import { axpy, scale } from './ops/elementwise';

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

export class T5Forward {
  private readonly weights = new Map<string, GPUBuffer>();
  private readonly scratch: GPUBuffer[] = [];

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

  private linear(enc: Encoder, y: GPUBuffer, x: GPUBuffer, name: string, out: number, inFeatures: number, rows: number): void {
    linearForward(enc, y, x, { name, out, in: inFeatures, weight: this.w(`${name}.weight`), bias: null }, null, rows);
  }

  private norm(enc: Encoder, out: GPUBuffer, x: GPUBuffer, name: string, rows: number): void {
    rmsnormForward(enc, out, this.buffer(`${name} rstd`, rows), x, this.w(name), rows, this.spec.dModel, this.spec.eps);
  }

  /** x += attention(norm(x) as queries, kv as keys and values). */
  private attention(enc: Encoder, x: GPUBuffer, normed: GPUBuffer, kv: GPUBuffer, prefix: string, shape: { B: number; Tq: number; Tk: number; causal: boolean }, bias: GPUBuffer | null, mask: GPUBuffer): void {
    const { dModel: C, dKv: D, heads: H } = this.spec;
    const [rowsQ, rowsK] = [shape.B * shape.Tq, shape.B * shape.Tk];
    const [q, k, v] = [this.buffer(`${prefix} q`, rowsQ * H * D), this.buffer(`${prefix} k`, rowsK * H * D), this.buffer(`${prefix} v`, rowsK * H * D)];
    this.linear(enc, q, normed, `${prefix}.q`, H * D, C, rowsQ);
    this.linear(enc, k, kv, `${prefix}.k`, H * D, C, rowsK);
    this.linear(enc, v, kv, `${prefix}.v`, H * D, C, rowsK);
    const heads = this.buffer(`${prefix} heads`, rowsQ * H * D);
    seq2seqAttentionForward(enc, heads, this.buffer(`${prefix} lse`, shape.B * H * shape.Tq), { q, k, v, bias, mask }, { ...shape, H, D, scale: 1 });
    const o = this.buffer(`${prefix} o`, rowsQ * C);
    this.linear(enc, o, heads, `${prefix}.o`, C, H * D, rowsQ);
    axpy(enc, x, o, 1, rowsQ * C);
  }

  /** x += feed-forward(norm(x)). */
  private feedForward(enc: Encoder, x: GPUBuffer, normed: GPUBuffer, prefix: string, rows: number): void {
    const { dModel: C, dFF: F } = this.spec;
    const hidden = this.buffer(`${prefix} hidden`, rows * F);
    if (this.spec.feedForward === 'relu') {
      const pre = this.buffer(`${prefix} wi`, rows * F);
      this.linear(enc, pre, normed, `${prefix}.wi`, F, C, rows);
      reluForward(enc, hidden, pre, rows * F);
    } else {
      const [gate, up] = [this.buffer(`${prefix} wi_0`, rows * F), this.buffer(`${prefix} wi_1`, rows * F)];
      this.linear(enc, gate, normed, `${prefix}.wi_0`, F, C, rows);
      this.linear(enc, up, normed, `${prefix}.wi_1`, F, C, rows);
      gegluForward(enc, hidden, gate, up, rows * F);
    }
    const y = this.buffer(`${prefix} wo`, rows * C);
    this.linear(enc, y, hidden, `${prefix}.wo`, C, F, rows);
    axpy(enc, x, y, 1, rows * C);
  }

  private positionBias(enc: Encoder, stack: 'encoder' | 'decoder', length: number): GPUBuffer {
    const { heads: H, buckets } = this.spec;
    const pairs = this.gpu.upload(`${stack} pair buckets`, pairBuckets(this.spec, length, length, stack === 'encoder'));
    this.scratch.push(pairs);
    const bias = this.buffer(`${stack} position bias`, H * length * length);
    positionBiasForward(enc, bias, this.w(`${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`), pairs, { H, Tq: length, Tk: length, buckets });
    return bias;
  }

  /** Logits [B, T, vocab] of the batch. */
  async logits(batch: T5Batch): Promise<Float32Array> {
    const { dModel: C, vocabSize: V } = this.spec;
    const { B, S, T } = batch;
    const [encRows, decRows] = [B * S, B * T];
    const inputIds = this.gpu.upload('input ids', batch.inputIds);
    const mask = this.gpu.upload('attention mask', batch.attentionMask);
    const decoderIds = this.gpu.upload('decoder input ids', batch.decoderInputIds);
    const everyToken = this.gpu.upload('decoder mask', new Float32Array(B * T).fill(1));
    this.scratch.push(inputIds, mask, decoderIds, everyToken);
    const logits = this.buffer('logits', decRows * V);
    await this.gpu.run('t5 forward', (enc) => {
      const x = this.buffer('encoder residual', encRows * C);
      const normed = this.buffer('encoder normed', encRows * C);
      embeddingForward(enc, x, inputIds, this.w('shared.weight'), null, encRows, S, C);
      const encoderBias = this.positionBias(enc, 'encoder', S);
      for (let l = 0; l < this.spec.encoderLayers; l++) {
        const at = `encoder.block.${l}.layer`;
        this.norm(enc, normed, x, `${at}.0.layer_norm.weight`, encRows);
        this.attention(enc, x, normed, normed, `${at}.0.SelfAttention`, { B, Tq: S, Tk: S, causal: false }, encoderBias, mask);
        this.norm(enc, normed, x, `${at}.1.layer_norm.weight`, encRows);
        this.feedForward(enc, x, normed, `${at}.1.DenseReluDense`, encRows);
      }
      const encoded = this.buffer('encoder output', encRows * C);
      this.norm(enc, encoded, x, 'encoder.final_layer_norm.weight', encRows);

      const y = this.buffer('decoder residual', decRows * C);
      const n = this.buffer('decoder normed', decRows * C);
      embeddingForward(enc, y, decoderIds, this.w('shared.weight'), null, decRows, T, C);
      const decoderBias = this.positionBias(enc, 'decoder', T);
      for (let l = 0; l < this.spec.decoderLayers; l++) {
        const at = `decoder.block.${l}.layer`;
        this.norm(enc, n, y, `${at}.0.layer_norm.weight`, decRows);
        this.attention(enc, y, n, n, `${at}.0.SelfAttention`, { B, Tq: T, Tk: T, causal: true }, decoderBias, everyToken);
        this.norm(enc, n, y, `${at}.1.layer_norm.weight`, decRows);
        this.attention(enc, y, n, encoded, `${at}.1.EncDecAttention`, { B, Tq: T, Tk: S, causal: false }, null, mask);
        this.norm(enc, n, y, `${at}.2.layer_norm.weight`, decRows);
        this.feedForward(enc, y, n, `${at}.2.DenseReluDense`, decRows);
      }
      const out = this.buffer('decoder output', decRows * C);
      this.norm(enc, out, y, 'decoder.final_layer_norm.weight', decRows);
      let head = out;
      if (this.spec.tiedEmbeddings) {
        // v1.0: the tied head sees the output scaled by d_model^-0.5.
        head = this.buffer('decoder output scaled', decRows * C);
        scale(enc, head, out, C ** -0.5, decRows * C);
      }
      this.linear(enc, logits, head, this.spec.tiedEmbeddings ? 'shared' : 'lm_head', V, C, decRows);
    });
    const result = await this.gpu.readF32(logits, decRows * V);
    for (const buffer of this.scratch.splice(0)) buffer.destroy();
    return result;
  }

  destroy(): void {
    for (const buffer of [...this.weights.values(), ...this.scratch.splice(0)]) buffer.destroy();
    this.weights.clear();
  }
}
