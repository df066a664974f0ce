// T5 on the GPU, for a batch of examples padded to one encoder length S and one decoder length T:
// the logits, and the mean loss over the labels with its gradient with respect to every weight and
// to LoRA adapters on any linear layer.
// The same model as the CPU reference (src/engine/ref/t5.ts), built the same way from the engine's
// kernels — embedding, RMS norm, linear layers, attention for encoder-decoder models (queries and
// keys of different lengths, key padding masks, the relative position bias), ReLU or gated GELU,
// residual adds: each op records on a tape how to pass its output's gradient back, and the tape is
// played backward in the same command buffer.
// Built with a batch shape it is a TrainableModel (./trainable.ts), which the scan, the
// initialisations and the job train: the gradients it takes then are the adapters' and the frozen
// weights the scan tracks, nothing else. A pass's activations are made for it and freed at the
// start of the next.

import type { Gpu } from '../gpu/gpu';
import type { Encoder } from '../gpu/encoder';
import type { T5Spec } from '../model/t5-config';
import { pairBuckets } from './ref/t5';
import { embeddingBackward, embeddingForward } from './ops/embedding';
import { rmsnormBackward, rmsnormForward } from './ops/norm';
import { linearBackward, linearForward } from './linear';
import { seq2seqAttentionBackward, seq2seqAttentionForward } from './ops/attention-seq2seq';
import { cachedAttentionForward } from './ops/attention-cached';
import { positionBiasBackward, positionBiasForward } from './ops/position-bias';
import { gegluBackward, gegluForward, reluBackward, reluForward } from './ops/activation';
import { axpy, scale } from './ops/elementwise';
import { crossEntropy } from './ops/crossentropy';
import type { LoraAdapter } from './linear';
import type { AdapterBuffers, GenerateOptions, ModelBatch } from './trainable';
import { t5Generate } from './t5-generate';
import { t5TensorShapes } from '../model/t5-load';

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

/** B examples, each S encoder and T decoder positions: the shape a TrainableModel's batches have. */
export interface T5Shape {
  B: number;
  S: number;
  T: number;
}

/** A decoding session's buffers (T5Model.startDecoding). */
export interface T5DecodeCache {
  /** Source tokens. */
  readonly S: number;
  /** Decoder positions it holds, and how many are filled. */
  readonly maxLength: number;
  length: number;
  /** [S] of 1: every source token is seen. */
  readonly mask: GPUBuffer;
  /** Per decoder layer: cross-attention keys and values [S, heads·d_kv] and the self-attention caches [maxLength, heads·d_kv]. */
  readonly cross: ReadonlyArray<{ k: GPUBuffer; v: GPUBuffer }>;
  readonly self: ReadonlyArray<{ k: GPUBuffer; v: GPUBuffer }>;
  destroy(): void;
}

/** A tensor of the forward pass and, when gradients are taken, its gradient buffer (zeroed). */
interface Value {
  data: GPUBuffer;
  grad: GPUBuffer | null;
}

export class T5Model {
  private readonly weights = new Map<string, GPUBuffer>();
  /** Each tensor's shape, by checkpoint name. */
  private readonly shapes: Map<string, number[]>;
  /** Buffers of one pass, freed when the next starts (or by finish). */
  private readonly scratch: GPUBuffer[] = [];
  private readonly steps: Array<(enc: Encoder) => void> = [];
  /** The scan's ∂L/∂W of frozen linear weights, by weight name. */
  private readonly tracked = new Map<string, GPUBuffer>();
  /** gradients() and full training (trackParameterGradients): every weight's gradient, by name. */
  private everyGradient: Map<string, GPUBuffer> | null = null;
  /** LoRA adapters by the weight name of the linear layer they sit on. */
  readonly adapters = new Map<string, AdapterBuffers>();
  /** Set while generate runs with options.withoutAdapters: passes leave the adapters out. */
  private adaptersOff = false;
  /** Each stack's relative position bucket of every (query, key) pair, by stack and length. */
  private readonly pairTables = new Map<string, GPUBuffer>();
  private recording = false;
  /** Set by forward with a gradient scale: the tape backward plays. */
  private taped = false;
  /** With a batch shape: the batch in use and the buffers of a TrainableModel. */
  private current: { batch: T5Batch; targets: GPUBuffer } | null = null;
  private readonly fixed: { losses: GPUBuffer; logits: GPUBuffer; targets: GPUBuffer } | null;
  readonly shape: { B: number; T: number };
  readonly N: number;

  /**
   * `weights`: every tensor by its checkpoint name, f32. With `batchShape` the model also takes
   * batches of that shape through useBatch, forward and backward (./trainable.ts); logits() and
   * gradients() take any shape either way.
   */
  constructor(
    readonly gpu: Gpu,
    readonly spec: T5Spec,
    weights: ReadonlyMap<string, Float32Array>,
    readonly batchShape: T5Shape | null = null,
  ) {
    this.shapes = new Map(t5TensorShapes(spec));
    for (const [name, data] of weights) this.weights.set(name, gpu.upload(name, data));
    this.shape = { B: batchShape?.B ?? 0, T: batchShape?.T ?? 0 };
    this.N = this.shape.B * this.shape.T;
    this.fixed = batchShape
      ? { losses: gpu.createBuffer('losses', this.N * 4), logits: gpu.createBuffer('logits', this.N * spec.vocabSize * 4), targets: gpu.createBuffer('labels', this.N * 4) }
      : null;
  }

  get vocabSize(): number {
    return this.spec.vocabSize;
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

  /** [out, in] of a linear layer's weight, refusing any other name. */
  private linearShape(name: string): { out: number; in: number } {
    const shape = this.shapes.get(name);
    if (!shape || shape.length !== 2 || !/\.(q|k|v|o|wi|wi_0|wi_1|wo)\.weight$/.test(name)) throw new RangeError(`"${name}" is not a linear layer of this T5 model`);
    return { out: shape[0], in: shape[1] };
  }

  /** A LoRA adapter on the linear layer whose weight is `name`: y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ, A [rank, in], B [out, rank]. */
  attachAdapter(name: string, rank: number, scale: number, A: Float32Array, B: Float32Array): AdapterBuffers {
    const { out, in: n } = this.linearShape(name);
    if (A.length !== rank * n || B.length !== out * rank) throw new RangeError(`adapter ${name}: A must be [${rank}, ${n}] and B [${out}, ${rank}], got ${A.length} and ${B.length} values`);
    this.detachAdapter(name);
    const adapter = {
      rank,
      scale,
      A: this.gpu.upload(`${name} lora_A`, A),
      B: this.gpu.upload(`${name} lora_B`, B),
      dA: this.gpu.createBuffer(`${name} lora dA`, A.length * 4),
      dB: this.gpu.createBuffer(`${name} lora dB`, B.length * 4),
    };
    this.adapters.set(name, adapter);
    return adapter;
  }

  detachAdapter(name: string): void {
    const adapter = this.adapters.get(name);
    if (!adapter) return;
    for (const buffer of [adapter.A, adapter.B, adapter.dA, adapter.dB]) buffer.destroy();
    this.adapters.delete(name);
  }

  /** Makes backward accumulate ∂L/∂W [out, in] of a frozen linear weight, from zero. */
  trackWeightGradient(name: string): GPUBuffer {
    const { out, in: n } = this.linearShape(name);
    let buffer = this.tracked.get(name);
    if (!buffer) this.tracked.set(name, (buffer = this.gpu.createBuffer(`${name} dW`, out * n * 4)));
    return buffer;
  }

  untrackWeightGradients(): void {
    for (const buffer of this.tracked.values()) buffer.destroy();
    this.tracked.clear();
  }

  /** The scan of a T5 model runs in one pass: its gradients stay on the GPU. */
  async offloadWeightGradients(): Promise<void> {
    throw new RangeError('a T5 scan runs in one pass: use 1 scan pass');
  }

  weightGradient(name: string): GPUBuffer {
    const buffer = this.tracked.get(name);
    if (!buffer) throw new Error(`no weight gradient is tracked for ${name}`);
    return buffer;
  }

  linearWeight(name: string): GPUBuffer {
    this.linearShape(name);
    return this.w(name);
  }

  /** Encoder blocks from 0, then decoder blocks after them. */
  layerOf(name: string): number {
    const match = /^(encoder|decoder)\.block\.(\d+)\./.exec(name);
    if (!match) throw new RangeError(`"${name}" is not in a T5 block`);
    return Number(match[2]) + (match[1] === 'decoder' ? this.spec.encoderLayers : 0);
  }

  /** A batch of the model's shape: the decoder's input as tokens, the labels as targets, the encoder's input as source. */
  useBatch(batch: ModelBatch): void {
    const shape = this.batchShape;
    if (!shape || !this.fixed) throw new Error('this T5 model was built without a batch shape');
    const { B, S, T } = shape;
    const source = batch.source;
    if (!source) throw new RangeError('a T5 batch needs the encoder\'s input (source)');
    if (source.ids.length !== B * S || source.mask.length !== B * S || batch.tokens.length !== B * T || batch.targets.length !== B * T) {
      throw new RangeError(`a T5 batch needs ${B} × ${S} source and ${B} × ${T} decoder tokens, got ${source.ids.length} and ${batch.tokens.length}`);
    }
    const V = this.spec.vocabSize;
    for (const ids of [source.ids, batch.tokens]) {
      const at = ids.findIndex((id) => id >= V);
      if (at >= 0) throw new RangeError(`token id ${ids[at]} at position ${at} is outside the vocabulary (${V})`);
    }
    const bad = batch.targets.findIndex((t) => t >= V || (t < 0 && t !== -100));
    if (bad >= 0) throw new RangeError(`label ${batch.targets[bad]} at position ${bad} is neither a token id nor -100`);
    this.gpu.write(this.fixed.targets, batch.targets);
    this.current = { batch: { B, S, T, inputIds: source.ids, attentionMask: source.mask, decoderInputIds: batch.tokens }, targets: this.fixed.targets };
  }

  /** Per-row losses [B·T] of the last forward. */
  get losses(): GPUBuffer {
    if (!this.fixed) throw new Error('this T5 model was built without a batch shape');
    return this.fixed.losses;
  }

  /** Logits [B·T, vocab] of the last forward without a gradient scale. */
  get logits(): GPUBuffer {
    if (!this.fixed) throw new Error('this T5 model was built without a batch shape');
    return this.fixed.logits;
  }

  /**
   * The batch's losses; with a gradient scale (1 / counted labels) the tape is recorded and the
   * logits' gradient seeded, for backward.
   */
  forward(enc: Encoder, gradScale: number | null): void {
    if (!this.current || !this.fixed) throw new Error('forward needs a batch (useBatch)');
    this.finish();
    this.recording = gradScale !== null;
    const logits = this.run(enc, this.current.batch);
    crossEntropy(enc, this.fixed.losses, logits.data, this.current.targets, this.N, this.spec.vocabSize, gradScale);
    // With a scale the logits became their gradient in place.
    if (logits.grad) enc.copy(logits.data, logits.grad, logits.data.size);
    else enc.copy(logits.data, this.fixed.logits, logits.data.size);
    this.taped = this.recording;
  }

  /** Adds the last forward's gradients into the adapters' and the tracked weights'. */
  backward(enc: Encoder, downTo = 0): void {
    if (downTo > 0) throw new RangeError('a T5 backward runs through every layer');
    if (!this.taped) throw new Error('backward needs a forward with a gradient scale first');
    for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i](enc);
    this.taped = false;
  }

  /** Tokens after each source (one source at a time), at most maxNewTokens each; greedy unless options.pick. */
  async generate(prompts: readonly Uint32Array[], options: GenerateOptions): Promise<number[][]> {
    this.adaptersOff = options.withoutAdapters ?? false;
    try {
      const out: number[][] = [];
      for (const [i, prompt] of prompts.entries()) out.push(await t5Generate(this, prompt, { ...options, onToken: options.onToken && ((_, token) => options.onToken!(i, token)) }));
      return out;
    } finally {
      this.adaptersOff = false;
    }
  }

  /**
   * Full training: makes backward accumulate ∂L/∂θ of every weight (from zero), with its shape;
   * returns the weights and their gradients by checkpoint name.
   */
  trackParameterGradients(): { weights: ReadonlyMap<string, GPUBuffer>; gradients: ReadonlyMap<string, GPUBuffer> } {
    if (this.tracked.size > 0) throw new Error('trackParameterGradients: this model tracks scan gradients; untrack them first');
    this.everyGradient ??= new Map();
    for (const name of this.weights.keys()) this.everyGrad(name);
    return { weights: this.weights, gradients: this.everyGradient };
  }

  /** Every weight as it now stands, by checkpoint name. */
  async readWeights(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [name, buffer] of this.weights) out.set(name, await this.gpu.readF32(buffer));
    return out;
  }

  /** The gradient buffer of a weight in gradients(), zeroed when made. */
  private everyGrad(name: string): GPUBuffer | null {
    if (!this.everyGradient) return null;
    let grad = this.everyGradient.get(name);
    if (!grad) this.everyGradient.set(name, (grad = this.gpu.createBuffer(`d ${name}`, this.w(name).size)));
    return grad;
  }

  /** y [rows, out] = x [rows, in] · Wᵀ by name, plus its adapter's low-rank term if it has one. */
  private linear(enc: Encoder, x: Value, name: string, out: number, inFeatures: number, rows: number): Value {
    const layer = { name, out, in: inFeatures, weight: this.w(name), bias: null };
    const attached = this.adaptersOff ? undefined : this.adapters.get(name);
    // x·Aᵀ is saved for backward, per pass: the same adapter sees B·S or B·T rows by where it sits.
    const adapter: LoraAdapter | null = attached ? { ...attached, u: this.buffer(`${name} x·Aᵀ`, rows * attached.rank), du: this.buffer(`${name} d(x·Aᵀ)`, rows * attached.rank) } : null;
    const y = this.value(name, rows * out);
    linearForward(enc, y.data, x.data, layer, adapter, rows);
    this.record((e) => linearBackward(e, x.grad, y.grad!, x.data, layer, adapter, this.everyGrad(name) ?? this.tracked.get(name) ?? null, rows));
    return y;
  }

  private norm(enc: Encoder, x: Value, name: string, rows: number): Value {
    const { dModel: C, eps } = this.spec;
    const rstd = this.buffer(`${name} rstd`, rows);
    const y = this.value(name, rows * C);
    rmsnormForward(enc, y.data, rstd, x.data, this.w(name), rows, C, eps);
    this.record((e) => rmsnormBackward(e, x.grad!, this.everyGrad(name), y.grad!, x.data, this.w(name), rstd, rows, C));
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
    // Only gradients() trains the embedding; nothing else lies under it.
    this.record((e) => {
      const grad = this.everyGrad('shared.weight');
      if (grad) embeddingBackward(e, grad, null, out.grad!, ids, rows, length, C);
    });
    return out;
  }

  private positionBias(enc: Encoder, stack: 'encoder' | 'decoder', length: number): Value {
    const { heads: H, buckets } = this.spec;
    const name = `${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`;
    const key = `${stack} ${length}`;
    let pairs = this.pairTables.get(key);
    if (!pairs) this.pairTables.set(key, (pairs = this.gpu.upload(`${stack} pair buckets`, pairBuckets(this.spec, length, length, stack === 'encoder'))));
    const shape = { H, Tq: length, Tk: length, buckets };
    const bias = this.value(`${stack} position bias`, H * length * length);
    positionBiasForward(enc, bias.data, this.w(name), pairs, shape);
    this.record((e) => {
      const grad = this.everyGrad(name);
      if (grad) positionBiasBackward(e, grad, bias.grad!, pairs, shape);
    });
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
    const delta = this.recording ? this.buffer(`${prefix} delta`, shape.B * H * shape.Tq) : null;
    this.record((e) => {
      seq2seqAttentionBackward(e, { dq: q.grad!, dk: k.grad!, dv: v.grad!, dbias: bias?.grad ?? null, delta: delta! }, heads.grad!, heads.data, lse, inputs, full);
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

  /** Uploads a per-pass input, freed with the pass's activations. */
  private upload(label: string, data: Uint32Array | Float32Array): GPUBuffer {
    const buffer = this.gpu.upload(label, data);
    this.scratch.push(buffer);
    return buffer;
  }

  /** The encoder's output [B·S, d_model] for the source, and its key mask [B, S] as uploaded. */
  private encode(enc: Encoder, batch: Pick<T5Batch, 'B' | 'S' | 'inputIds' | 'attentionMask'>): { encoded: Value; mask: GPUBuffer } {
    const { B, S } = batch;
    const rows = B * S;
    const mask = this.upload('attention mask', batch.attentionMask);
    let x = this.embed(enc, this.upload('input ids', batch.inputIds), rows, S);
    const bias = this.positionBias(enc, 'encoder', S);
    for (let l = 0; l < this.spec.encoderLayers; l++) {
      const at = `encoder.block.${l}.layer`;
      const n0 = this.norm(enc, x, `${at}.0.layer_norm.weight`, rows);
      x = this.add(enc, x, this.attention(enc, n0, n0, `${at}.0.SelfAttention`, { B, Tq: S, Tk: S, causal: false }, bias, mask), rows);
      x = this.add(enc, x, this.feedForward(enc, this.norm(enc, x, `${at}.1.layer_norm.weight`, rows), `${at}.1.DenseReluDense`, rows), rows);
    }
    return { encoded: this.norm(enc, x, 'encoder.final_layer_norm.weight', rows), mask };
  }

  /** The decoder's last norm and the LM head: logits [rows, vocab]. */
  private head(enc: Encoder, y: Value, rows: number): Value {
    const { dModel: C, vocabSize: V } = this.spec;
    let out = this.norm(enc, y, 'decoder.final_layer_norm.weight', rows);
    if (this.spec.tiedEmbeddings) {
      // v1.0: the tied head sees the output scaled by d_model^-0.5.
      const factor = C ** -0.5;
      const scaled = this.value('decoder output scaled', rows * C);
      const unscaled = out;
      scale(enc, scaled.data, unscaled.data, factor, rows * C);
      this.record((e) => axpy(e, unscaled.grad!, scaled.grad!, factor, rows * C));
      out = scaled;
    }
    return this.linear(enc, out, this.spec.tiedEmbeddings ? 'shared.weight' : 'lm_head.weight', V, C, rows);
  }

  /** The logits [B·T, vocab] of the batch, recorded on the tape when gradients are taken. */
  private run(enc: Encoder, batch: T5Batch): Value {
    const { B, S, T } = batch;
    const rows = B * T;
    const { encoded, mask } = this.encode(enc, batch);
    const everyToken = this.upload('decoder mask', new Float32Array(B * T).fill(1));
    let y = this.embed(enc, this.upload('decoder input ids', batch.decoderInputIds), rows, T);
    const decoderBias = this.positionBias(enc, 'decoder', T);
    for (let l = 0; l < this.spec.decoderLayers; l++) {
      const at = `decoder.block.${l}.layer`;
      const n0 = this.norm(enc, y, `${at}.0.layer_norm.weight`, rows);
      y = this.add(enc, y, this.attention(enc, n0, n0, `${at}.0.SelfAttention`, { B, Tq: T, Tk: T, causal: true }, decoderBias, everyToken), rows);
      const n1 = this.norm(enc, y, `${at}.1.layer_norm.weight`, rows);
      y = this.add(enc, y, this.attention(enc, n1, encoded, `${at}.1.EncDecAttention`, { B, Tq: T, Tk: S, causal: false }, null, mask), rows);
      y = this.add(enc, y, this.feedForward(enc, this.norm(enc, y, `${at}.2.layer_norm.weight`, rows), `${at}.2.DenseReluDense`, rows), rows);
    }
    return this.head(enc, y, rows);
  }

  /**
   * Decoding with a key/value cache (./t5-generate.ts): the source through the encoder once, and
   * each decoder layer's cross-attention keys and values from it, kept with room for `maxLength`
   * decoder positions of self-attention keys and values until the cache is destroyed.
   */
  async startDecoding(inputIds: Uint32Array, maxLength: number): Promise<T5DecodeCache> {
    const { dKv: D, heads: H, dModel: C, decoderLayers } = this.spec;
    const S = inputIds.length;
    if (S === 0) throw new RangeError('cannot decode from an empty source');
    const owned: GPUBuffer[] = [];
    const make = (label: string, floats: number) => {
      const buffer = this.gpu.createBuffer(label, floats * 4);
      owned.push(buffer);
      return buffer;
    };
    const cache: T5DecodeCache = {
      S,
      maxLength,
      length: 0,
      mask: make('decode source mask', S),
      cross: Array.from({ length: decoderLayers }, (_, l) => ({ k: make(`decoder ${l} cross keys`, S * H * D), v: make(`decoder ${l} cross values`, S * H * D) })),
      self: Array.from({ length: decoderLayers }, (_, l) => ({ k: make(`decoder ${l} key cache`, maxLength * H * D), v: make(`decoder ${l} value cache`, maxLength * H * D) })),
      destroy: () => owned.forEach((buffer) => buffer.destroy()),
    };
    this.finish();
    try {
      await this.gpu.run('t5 encode', (enc) => {
        const { encoded, mask } = this.encode(enc, { B: 1, S, inputIds, attentionMask: new Float32Array(S).fill(1) });
        enc.copy(mask, cache.mask, S * 4);
        cache.cross.forEach(({ k, v }, l) => {
          const at = `decoder.block.${l}.layer.1.EncDecAttention`;
          enc.copy(this.linear(enc, encoded, `${at}.k.weight`, H * D, C, S).data, k, S * H * D * 4);
          enc.copy(this.linear(enc, encoded, `${at}.v.weight`, H * D, C, S).data, v, S * H * D * 4);
        });
      });
    } catch (error) {
      cache.destroy();
      throw error;
    } finally {
      this.finish();
    }
    return cache;
  }

  /** Appends decoder tokens to a decoding cache; returns the logits [vocab] that follow the last. */
  async appendDecoding(cache: T5DecodeCache, tokens: readonly number[]): Promise<Float32Array> {
    const { dKv: D, heads: H, dModel: C, vocabSize: V, buckets } = this.spec;
    const rows = tokens.length;
    const start = cache.length;
    if (rows === 0 || start + rows > cache.maxLength) throw new RangeError(`the decoder would hold ${start + rows} tokens, the cache 1 to ${cache.maxLength}`);
    if (tokens.some((t) => !Number.isInteger(t) || t < 0 || t >= V)) throw new RangeError(`a token id is outside the vocabulary (${V})`);
    this.finish();
    let logits: Value | null = null;
    try {
      await this.gpu.run('t5 decode', (enc) => {
        const keys = start + rows;
        const pairs = this.upload('decode pair buckets', pairBuckets(this.spec, rows, keys, false, start));
        const bias = this.buffer('decode position bias', H * rows * keys);
        positionBiasForward(enc, bias, this.w('decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'), pairs, { H, Tq: rows, Tk: keys, buckets });
        let y = this.embed(enc, this.upload('decoder input ids', Uint32Array.from(tokens)), rows, rows);
        for (let l = 0; l < this.spec.decoderLayers; l++) {
          const at = `decoder.block.${l}.layer`;
          const self = `${at}.0.SelfAttention`;
          const n0 = this.norm(enc, y, `${at}.0.layer_norm.weight`, rows);
          const q = this.linear(enc, n0, `${self}.q.weight`, H * D, C, rows);
          const rowBytes = H * D * 4;
          enc.copy(this.linear(enc, n0, `${self}.k.weight`, H * D, C, rows).data, cache.self[l].k, rows * rowBytes, 0, start * rowBytes);
          enc.copy(this.linear(enc, n0, `${self}.v.weight`, H * D, C, rows).data, cache.self[l].v, rows * rowBytes, 0, start * rowBytes);
          const attended = this.value(`${self} heads`, rows * H * D);
          cachedAttentionForward(enc, attended.data, q.data, cache.self[l].k, cache.self[l].v, bias, { Tq: rows, start, Hq: H, Hkv: H, D, scale: 1 });
          y = this.add(enc, y, this.linear(enc, attended, `${self}.o.weight`, C, H * D, rows), rows);

          const cross = `${at}.1.EncDecAttention`;
          const n1 = this.norm(enc, y, `${at}.1.layer_norm.weight`, rows);
          const crossHeads = this.value(`${cross} heads`, rows * H * D);
          const inputs = { q: this.linear(enc, n1, `${cross}.q.weight`, H * D, C, rows).data, k: cache.cross[l].k, v: cache.cross[l].v, bias: null, mask: cache.mask };
          seq2seqAttentionForward(enc, crossHeads.data, this.buffer(`${cross} lse`, H * rows), inputs, { B: 1, Tq: rows, Tk: cache.S, H, D, scale: 1, causal: false });
          y = this.add(enc, y, this.linear(enc, crossHeads, `${cross}.o.weight`, C, H * D, rows), rows);
          y = this.add(enc, y, this.feedForward(enc, this.norm(enc, y, `${at}.2.layer_norm.weight`, rows), `${at}.2.DenseReluDense`, rows), rows);
        }
        logits = this.head(enc, y, rows);
      });
      cache.length += rows;
      return await this.gpu.readF32(logits!.data, V, (rows - 1) * V);
    } finally {
      this.finish();
    }
  }

  private finish(): void {
    for (const buffer of this.scratch.splice(0)) buffer.destroy();
    this.steps.length = 0;
    this.recording = false;
    this.taped = false;
  }

  /** Logits [B, T, vocab] of the batch. */
  async logitsOf(batch: T5Batch): Promise<Float32Array> {
    this.finish();
    let logits: Value | null = null;
    await this.gpu.run('t5 forward', (enc) => (logits = this.run(enc, batch)));
    const result = await this.gpu.readF32(logits!.data, batch.B * batch.T * this.spec.vocabSize);
    this.finish();
    return result;
  }

  /**
   * The mean cross-entropy over the labels [B, T] that are not −100, and its gradient with respect
   * to every weight, by checkpoint name, and to every adapter (as `<weight>.lora_A`, `.lora_B`).
   */
  async gradients(batch: T5Batch, labels: Int32Array): Promise<{ loss: number; count: number; grads: Map<string, Float32Array> }> {
    const rows = batch.B * batch.T;
    const count = labels.filter((label) => label !== -100).length;
    if (count === 0) throw new RangeError('the batch has no label to learn (every one is −100)');
    if (this.everyGradient) throw new Error('gradients: this model is in full training (trackParameterGradients)');
    this.finish();
    this.recording = true;
    this.everyGradient = new Map();
    try {
      const losses = this.buffer('losses', rows);
      const targets = this.gpu.upload('labels', labels);
      this.scratch.push(targets);
      await this.gpu.run('t5 forward and backward', (enc) => {
        for (const a of this.adapters.values()) {
          enc.clear(a.dA);
          enc.clear(a.dB);
        }
        const logits = this.run(enc, batch);
        // The logits become their gradient in place: d(mean loss)/dlogits.
        crossEntropy(enc, losses, logits.data, targets, rows, this.spec.vocabSize, 1 / count);
        enc.copy(logits.data, logits.grad!, logits.data.size);
        for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i](enc);
      });
      const perRow = await this.gpu.readF32(losses, rows);
      const grads = new Map<string, Float32Array>();
      for (const [name, buffer] of this.everyGradient) grads.set(name, await this.gpu.readF32(buffer));
      for (const [name, a] of this.adapters) {
        grads.set(`${name}.lora_A`, await this.gpu.readF32(a.dA));
        grads.set(`${name}.lora_B`, await this.gpu.readF32(a.dB));
      }
      return { loss: perRow.reduce((sum, l) => sum + l, 0) / count, count, grads };
    } finally {
      for (const buffer of this.everyGradient.values()) buffer.destroy();
      this.everyGradient = null;
      this.finish();
    }
  }

  destroy(): void {
    this.finish();
    for (const name of [...this.adapters.keys()]) this.detachAdapter(name);
    this.untrackWeightGradients();
    for (const buffer of this.everyGradient?.values() ?? []) buffer.destroy();
    this.everyGradient = null;
    const fixed = this.fixed ? Object.values(this.fixed) : [];
    for (const buffer of [...this.weights.values(), ...this.pairTables.values(), ...fixed]) buffer.destroy();
    this.weights.clear();
    this.pairTables.clear();
  }
}
