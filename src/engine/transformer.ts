// The transformer on the GPU: forward to logits and loss, backward to the adapters' gradients, the
// frozen linear weights' gradients (GoRA's scan), every weight's gradient (full training) and the
// input's gradient. A block reads like its equation:
//   x = x + attn(norm1(x));  x = x + mlp(norm2(x))
// Buffers: N = B·T rows, C channels, V vocab, F MLP width, Hq/Hkv heads of D dims.

import type { Allocator, Gpu } from '../gpu/gpu';
import type { Encoder } from '../gpu/encoder';
import type { ModelSpec } from '../model/spec';
import { blockLinears, layerOfLinear, linearName, type BlockLinear } from './architecture';
import { architectureOf } from '../model/architectures';
import { linearBackward, linearForward, type BiasGradient, type LinearWeights, type LoraAdapter } from './linear';
import { attentionBackward, attentionForward, type AttentionShape } from './ops/attention';
import { add, copyColumns } from './ops/elementwise';
import { geluBackward, geluForward, swigluBackward, swigluForward } from './ops/activation';
import { layernormBackward, layernormForward, rmsnormBackward, rmsnormForward } from './ops/norm';
import { ropeBackward, ropeForward } from './ops/rope';
import { ropeTables } from './rope-tables';
import { TransformerBuffers, type LayerBuffers, type NormSaved } from './transformer-buffers';
import { VocabChunks } from './vocab-chunks';
import { headRowsPerPass, LmHead } from './lm-head';
import type { PackedWeight } from './weight-format';
import type { GenerateOptions, ModelBatch } from './trainable';
import { generateTokens } from './generate';

export interface BatchShape {
  B: number;
  T: number;
}

/** What one block's forward pass runs over: `rows` rows of the residual, into `out`. */
export interface BlockPass {
  rows: number;
  x: GPUBuffer;
  out: GPUBuffer;
  /** Its activations: per layer when training (backward reads them), shared by the layers when decoding. */
  s: Omit<LayerBuffers, 'lse'>;
  /** [rows, C] scratch: output of the o and down projections. */
  projOut: GPUBuffer;
  /** [rows, 3C] scratch for a fused q, k, v projection (GPT-2); null otherwise. */
  qkv: GPUBuffer | null;
  /** s.q, s.k, s.v → s.att: the rotary embedding and attention over the keys this pass sees. */
  attend(enc: Encoder): void;
}

/**
 * A TrainableModel (./trainable.ts) when G is a Gpu.
 * G: the GPU it allocates on — a Gpu, or a CountingGpu when the memory plan counts what a run will
 * allocate (src/train/memory-estimate.ts) by running this same constructor and these same methods.
 */
export class Transformer<G extends Allocator = Gpu> {
  readonly N: number;
  readonly linears: BlockLinear[];
  /** q, k and v come from one fused projection, split by columns (the architecture says so). */
  private readonly fusedQkv: boolean;
  /** LoRA adapters by linear name (`layers.3.attn.q`). */
  readonly adapters = new Map<string, LoraAdapter>();
  /** Set while generate runs with options.withoutAdapters: forward passes leave the adapters out. */
  private adaptersOff = false;
  /** Gradients of frozen linear weights by linear name, accumulated by backward (GoRA's scan). */
  readonly weightGradients = new Map<string, GPUBuffer>();
  private readonly offloadedGradients = new Map<string, Float32Array>();
  private reloaded: { name: string; buffer: GPUBuffer } | null = null;
  /** Gradients of every weight by weight name (`embed`, `layers.0.norm1.weight`, …): full training. */
  readonly parameterGradients = new Map<string, GPUBuffer>();
  /** [N] of 1, while parameterGradients are tracked: bias gradients are onesᵀ·dy. */
  private ones: GPUBuffer | null = null;
  private readonly buffers: TransformerBuffers;
  private readonly attention: AttentionShape;
  private readonly rope: { cos: GPUBuffer; sin: GPUBuffer } | null;
  /** The embedding and LM head, split by rows when larger than one binding (./row-chunks.ts). */
  private readonly vocab: VocabChunks;
  /** The LM head and loss, in passes over the tokens when the logits exceed one binding (./lm-head.ts). */
  private readonly head: LmHead;

  constructor(
    readonly gpu: G,
    readonly spec: ModelSpec,
    /**
     * Every weight by canonical name (`embed`, `layers.0.attn.q.weight`, …), linear weights [out, in];
     * a vocabulary tensor above the binding limit as its row chunks (`embed[0]`, …: ./row-chunks.ts).
     */
    readonly weights: Map<string, GPUBuffer>,
    readonly shape: BatchShape,
    /** Frozen linear weights stored in a narrower format (./weight-format.ts), by weight name; not in `weights`. */
    readonly packed: ReadonlyMap<string, PackedWeight> = new Map(),
  ) {
    const { B, T } = shape;
    if (T > spec.maxPositions) throw new RangeError(`sequence length ${T} is above the model's ${spec.maxPositions} positions`);
    this.N = B * T;
    // The logits are the largest activation: past the binding limit the head runs over rows of
    // tokens (./lm-head.ts), but the whole [N, V] still lives in one buffer.
    const logitBytes = this.N * spec.vocabSize * 4;
    const limit = gpu.info.limits.maxBufferSize ?? Infinity;
    if (logitBytes > limit) {
      throw new RangeError(`batch ${B} × sequence ${T} × vocabulary ${spec.vocabSize} needs ${logitBytes} bytes of logits, above this GPU's largest buffer (${limit} bytes): lower the batch size or the sequence length (use gradient accumulation for a larger effective batch)`);
    }
    const headRows = headRowsPerPass(this.N, spec.vocabSize, gpu.bindingLimitBytes);
    this.linears = blockLinears(spec);
    this.fusedQkv = architectureOf(spec).fusedQkv;
    this.attention = { B, T, Hq: spec.heads, Hkv: spec.kvHeads, D: spec.headDim };
    this.vocab = new VocabChunks(gpu, weights, spec.tiedEmbeddings, this.N, spec.hiddenSize, spec.vocabSize, headRows);
    this.head = new LmHead(gpu, this.vocab, this.N, spec.hiddenSize, spec.vocabSize, headRows);
    this.buffers = new TransformerBuffers(gpu, spec, shape);
    if (spec.rope) {
      const tables = ropeTables(spec.rope, spec.headDim, T);
      this.rope = { cos: gpu.upload('rope cos', tables.cos), sin: gpu.upload('rope sin', tables.sin) };
    } else this.rope = null;
  }

  /**
   * Puts a LoRA adapter on a linear layer (`layers.3.attn.q`) with initial A [r, n] and B [m, r];
   * its gradients start at zero.
   */
  attachAdapter(name: string, rank: number, scale: number, A: Float32Array, B: Float32Array): LoraAdapter {
    const layer = this.linearShape(name);
    if (A.length !== rank * layer.in || B.length !== layer.out * rank) {
      throw new RangeError(`adapter ${name}: A must be [${rank}, ${layer.in}] and B [${layer.out}, ${rank}], got ${A.length} and ${B.length} values`);
    }
    const adapter = this.allocateAdapter(name, rank, scale);
    this.gpu.write(adapter.A, A);
    this.gpu.write(adapter.B, B);
    return adapter;
  }

  /**
   * attachAdapter's buffers, without their values (A and B start at zero): what the memory plan
   * attaches, so that it needs no A and B in CPU memory to count them.
   */
  allocateAdapter(name: string, rank: number, scale: number): LoraAdapter {
    const { in: n, out: m } = this.linearShape(name);
    this.detachAdapter(name);
    const make = (label: string, floats: number) => this.gpu.createBuffer(`${name} lora ${label}`, floats * 4);
    const adapter: LoraAdapter = { rank, scale, A: make('A', rank * n), B: make('B', m * rank), dA: make('dA', rank * n), dB: make('dB', m * rank), u: make('xAᵀ', this.N * rank), du: make('du', this.N * rank) };
    this.adapters.set(name, adapter);
    return adapter;
  }

  detachAdapter(name: string): void {
    const adapter = this.adapters.get(name);
    if (!adapter) return;
    for (const buffer of [adapter.A, adapter.B, adapter.dA, adapter.dB, adapter.u, adapter.du]) buffer.destroy();
    this.adapters.delete(name);
  }

  /** Makes backward accumulate ∂L/∂W [m, n] of a frozen linear weight (starting from zero). */
  trackWeightGradient(name: string): GPUBuffer {
    const layer = this.linearShape(name);
    // One dW per linear layer is passed to backward: the scan and full training never share a model.
    if (this.parameterGradients.size > 0) throw new Error('trackWeightGradient: this model already tracks every gradient (full training)');
    let buffer = this.weightGradients.get(name);
    if (!buffer) {
      buffer = this.gpu.createBuffer(`${name} dW`, layer.out * layer.in * 4);
      this.weightGradients.set(name, buffer);
    }
    return buffer;
  }

  untrackWeightGradients(): void {
    for (const buffer of this.weightGradients.values()) buffer.destroy();
    this.weightGradients.clear();
    this.offloadedGradients.clear();
    this.reloaded?.buffer.destroy();
    this.reloaded = null;
  }

  /**
   * Moves the tracked weight gradients to CPU memory and frees their GPU buffers, so that a scan too
   * large for the GPU can run in passes over groups of layers; weightGradient() brings one back.
   */
  async offloadWeightGradients(): Promise<void> {
    for (const [name, buffer] of this.weightGradients) {
      this.offloadedGradients.set(name, await this.gpu.readF32(buffer));
      buffer.destroy();
    }
    this.weightGradients.clear();
  }

  /**
   * The tracked ∂L/∂W of a linear weight on the GPU: the live buffer, or an offloaded one uploaded
   * into a single buffer that the next call reuses (valid until then).
   */
  weightGradient(name: string): GPUBuffer {
    const live = this.weightGradients.get(name);
    if (live) return live;
    const stored = this.offloadedGradients.get(name);
    if (!stored) throw new Error(`no weight gradient is tracked for ${name}`);
    if (this.reloaded?.name === name) return this.reloaded.buffer;
    const buffer = this.reloadBuffer(name);
    this.gpu.write(buffer, stored);
    return buffer;
  }

  /**
   * The one buffer an offloaded ∂L/∂W of `name` comes back into, reused while the size stays the
   * same; the memory plan calls it to count that buffer without the gradient's values.
   */
  reloadBuffer(name: string): GPUBuffer {
    const layer = this.linearShape(name);
    const bytes = layer.out * layer.in * 4;
    if (!this.reloaded || this.reloaded.buffer.size !== bytes) {
      this.reloaded?.buffer.destroy();
      this.reloaded = { name, buffer: this.gpu.createBuffer('offloaded dW', bytes) };
    }
    this.reloaded.name = name;
    return this.reloaded.buffer;
  }

  /**
   * Full training: makes backward accumulate ∂L/∂θ of every weight it was given (starting from
   * zero), with the shape of that weight; returns them by weight name.
   */
  trackParameterGradients(): Map<string, GPUBuffer> {
    if (this.weightGradients.size > 0) throw new Error('trackParameterGradients: this model tracks scan gradients; untrack them first');
    if (this.packed.size > 0) throw new Error('trackParameterGradients: full training needs every weight in f32, and this model stores its linear weights packed');
    if (this.parameterGradients.size === 0) {
      for (const [name, weight] of this.weights) this.parameterGradients.set(name, this.gpu.createBuffer(`${name} grad`, weight.size));
      this.ones = this.gpu.upload('ones', new Float32Array(this.N).fill(1));
    }
    return this.parameterGradients;
  }

  untrackParameterGradients(): void {
    for (const buffer of this.parameterGradients.values()) buffer.destroy();
    this.parameterGradients.clear();
    this.ones?.destroy();
    this.ones = null;
  }

  /** Frees every buffer this model made (not the weights it was given). */
  destroy(): void {
    for (const name of [...this.adapters.keys()]) this.detachAdapter(name);
    this.untrackWeightGradients();
    this.untrackParameterGradients();
    this.buffers.destroy();
    this.vocab.destroy();
    this.head.destroy();
    this.rope?.cos.destroy();
    this.rope?.sin.destroy();
  }

  /** Token ids [B, T] and next-token targets [B, T] (−100: not counted) for the next forward pass. */
  setBatch(tokens: Uint32Array, targets: Int32Array): void {
    if (tokens.length !== this.N || targets.length !== this.N) {
      throw new RangeError(`a batch needs ${this.N} tokens and targets (B=${this.shape.B}, T=${this.shape.T}), got ${tokens.length} and ${targets.length}`);
    }
    const V = this.spec.vocabSize;
    tokens.forEach((t, i) => {
      if (t >= V) throw new RangeError(`token id ${t} at position ${i} is outside the vocabulary (${V})`);
    });
    targets.forEach((t, i) => {
      if (t >= V || (t < 0 && t !== -100)) throw new RangeError(`target ${t} at position ${i} is neither a token id nor -100`);
    });
    this.gpu.write(this.buffers.tokens, tokens);
    this.gpu.write(this.buffers.targets, targets);
  }

  useBatch(batch: ModelBatch): void {
    this.setBatch(batch.tokens, batch.targets);
  }

  get vocabSize(): number {
    return this.spec.vocabSize;
  }

  layerOf(name: string): number {
    return layerOfLinear(name);
  }

  async generate(prompts: readonly Uint32Array[], options: GenerateOptions): Promise<number[][]> {
    this.adaptersOff = options.withoutAdapters ?? false;
    try {
      // Only a model on a real Gpu (not the memory plan's counting one) runs passes.
      return await generateTokens(this as unknown as Transformer, prompts, options);
    } finally {
      this.adaptersOff = false;
    }
  }

  /** Logits [N, V] after a forward pass with gradScale = null; dlogits after one with a scale. */
  get logits(): GPUBuffer {
    return this.buffers.logits;
  }

  /** Per-row losses [N] (0 where the target is −100). */
  get losses(): GPUBuffer {
    return this.buffers.losses;
  }

  /** ∂L/∂(embedding output) [N, C] after backward. */
  get inputGradient(): GPUBuffer {
    return this.buffers.dres;
  }

  /**
   * Forward pass. With `gradScale` (1 / counted tokens for a mean loss), the logits are replaced by
   * their gradient, ready for backward.
   */
  forward(enc: Encoder, gradScale: number | null): void {
    const { spec, buffers: a } = this;
    this.vocab.embedForward(enc, a.residual[0], a.tokens, spec.rope ? null : this.weight('pos_embed'), this.shape.T);
    for (let l = 0; l < spec.layers; l++) {
      const s = a.layers[l];
      this.blockForward(enc, l, { rows: this.N, x: a.residual[l], out: a.residual[l + 1], s, projOut: a.projOut, qkv: a.qkv, attend: (e) => this.attendBatch(e, s) });
    }
    this.normForward(enc, a.finalNormOut, a.finalNorm, a.residual[spec.layers], 'final_norm');
    this.head.forward(enc, a.logits, a.losses, a.finalNormOut, a.targets, gradScale);
  }

  /** Backward pass after `forward(enc, scale)`: adds into adapter, weight and input gradients. */
  /**
   * With `downTo` > 0 the pass stops below layer `downTo`: nothing under it is computed, so
   * inputGradient is not valid. For the scan in passes, whose gradients live in the upper layers
   * only; refused while anything under that layer would need a gradient.
   */
  backward(enc: Encoder, downTo = 0): void {
    const { spec, buffers: a } = this;
    if (downTo > 0 && (this.parameterGradients.size > 0 || [...this.adapters.keys(), ...this.weightGradients.keys()].some((name) => layerOfLinear(name) < downTo))) {
      throw new Error(`backward down to layer ${downTo} would skip gradients that are tracked below it`);
    }
    enc.clear(a.dres);
    // dnorm = dlogits · W_lm; dW_lm [V, C] += dlogitsᵀ · x_final (a tied head adds into the embedding's gradient).
    this.head.backward(enc, a.dnorm, this.parameterGradients, a.logits, a.finalNormOut);
    this.normBackward(enc, a.dres, a.dnorm, a.residual[spec.layers], a.finalNorm, 'final_norm');
    for (let l = spec.layers - 1; l >= downTo; l--) this.blockBackward(enc, l);
    if (downTo > 0) return;
    const dPos = spec.rope ? null : (this.parameterGradients.get('pos_embed') ?? null);
    this.vocab.embedBackward(enc, this.parameterGradients, dPos, a.dres, a.tokens, this.shape.T);
  }

  /**
   * One block's forward pass: what training and the cached decoder (./kv-decoder.ts) share. It reads
   * like the block's equation; pass.attend turns q, k and v into the attention's output.
   */
  blockForward(enc: Encoder, l: number, pass: BlockPass): void {
    const { spec } = this;
    const { rows: N, x, s, projOut } = pass;
    this.normForward(enc, s.norm1Out, s.norm1, x, `layers.${l}.norm1`, N);
    if (pass.qkv) {
      const C = spec.hiddenSize;
      const qkv = pass.qkv;
      this.linear(enc, l, 'attn.qkv', qkv, s.norm1Out, N);
      copyColumns(enc, s.q, { stride: C, offset: 0 }, qkv, { stride: 3 * C, offset: 0 }, N, C);
      copyColumns(enc, s.k, { stride: C, offset: 0 }, qkv, { stride: 3 * C, offset: C }, N, C);
      copyColumns(enc, s.v, { stride: C, offset: 0 }, qkv, { stride: 3 * C, offset: 2 * C }, N, C);
    } else {
      this.linear(enc, l, 'attn.q', s.q, s.norm1Out, N);
      this.linear(enc, l, 'attn.k', s.k, s.norm1Out, N);
      this.linear(enc, l, 'attn.v', s.v, s.norm1Out, N);
    }
    pass.attend(enc);
    this.linear(enc, l, 'attn.o', projOut, s.att, N);
    add(enc, s.mid, x, projOut, N * spec.hiddenSize);

    this.normForward(enc, s.norm2Out, s.norm2, s.mid, `layers.${l}.norm2`, N);
    const F = spec.intermediateSize;
    if (spec.mlp === 'swiglu') {
      this.linear(enc, l, 'mlp.gate', s.hidden1, s.norm2Out, N);
      this.linear(enc, l, 'mlp.up', s.hidden2!, s.norm2Out, N);
      swigluForward(enc, s.act, s.hidden1, s.hidden2!, N * F);
      this.linear(enc, l, 'mlp.down', projOut, s.act, N);
    } else {
      this.linear(enc, l, 'mlp.fc', s.hidden1, s.norm2Out, N);
      geluForward(enc, s.act, s.hidden1, N * F);
      this.linear(enc, l, 'mlp.proj', projOut, s.act, N);
    }
    add(enc, pass.out, s.mid, projOut, N * spec.hiddenSize);
  }

  /** Training's attention: rotary embedding by position in the row, causal attention within each row. */
  private attendBatch(enc: Encoder, s: LayerBuffers): void {
    const { spec, N } = this;
    if (this.rope) {
      const { T } = this.shape;
      ropeForward(enc, s.q, this.rope.cos, this.rope.sin, N, T, spec.heads, spec.headDim);
      ropeForward(enc, s.k, this.rope.cos, this.rope.sin, N, T, spec.kvHeads, spec.headDim);
    }
    attentionForward(enc, s.att, s.lse, s.q, s.k, s.v, this.attention);
  }

  // On entry a.dres holds ∂L/∂residual[l + 1]; on exit ∂L/∂residual[l].
  private blockBackward(enc: Encoder, l: number): void {
    const { spec, N, buffers: a } = this;
    const s = a.layers[l];
    const F = spec.intermediateSize;
    // x_out = mid + mlp(norm2(mid))
    enc.clear(a.dact);
    enc.clear(a.dhidden1);
    enc.clear(a.dnorm);
    if (spec.mlp === 'swiglu') {
      enc.clear(a.dhidden2);
      this.linearGrad(enc, l, 'mlp.down', a.dact, a.dres, s.act);
      swigluBackward(enc, a.dhidden1, a.dhidden2, a.dact, s.hidden1, s.hidden2!, N * F);
      this.linearGrad(enc, l, 'mlp.gate', a.dnorm, a.dhidden1, s.norm2Out);
      this.linearGrad(enc, l, 'mlp.up', a.dnorm, a.dhidden2, s.norm2Out);
    } else {
      this.linearGrad(enc, l, 'mlp.proj', a.dact, a.dres, s.act);
      geluBackward(enc, a.dhidden1, a.dact, s.hidden1, N * F);
      this.linearGrad(enc, l, 'mlp.fc', a.dnorm, a.dhidden1, s.norm2Out);
    }
    this.normBackward(enc, a.dres, a.dnorm, s.mid, s.norm2, `layers.${l}.norm2`);

    // mid = x + attn(norm1(x))
    enc.clear(a.datt);
    enc.clear(a.dq);
    enc.clear(a.dk);
    enc.clear(a.dv);
    enc.clear(a.dnorm);
    this.linearGrad(enc, l, 'attn.o', a.datt, a.dres, s.att);
    attentionBackward(enc, a.dq, a.dk, a.dv, a.delta, a.datt, s.q, s.k, s.v, s.att, s.lse, this.attention);
    if (this.rope) {
      const { T } = this.shape;
      ropeBackward(enc, a.dq, this.rope.cos, this.rope.sin, N, T, spec.heads, spec.headDim);
      ropeBackward(enc, a.dk, this.rope.cos, this.rope.sin, N, T, spec.kvHeads, spec.headDim);
    }
    if (this.fusedQkv) {
      const C = spec.hiddenSize;
      const dqkv = a.qkv!; // the forward's fused projection is no longer needed: reuse it for its gradient
      copyColumns(enc, dqkv, { stride: 3 * C, offset: 0 }, a.dq, { stride: C, offset: 0 }, N, C);
      copyColumns(enc, dqkv, { stride: 3 * C, offset: C }, a.dk, { stride: C, offset: 0 }, N, C);
      copyColumns(enc, dqkv, { stride: 3 * C, offset: 2 * C }, a.dv, { stride: C, offset: 0 }, N, C);
      this.linearGrad(enc, l, 'attn.qkv', a.dnorm, dqkv, s.norm1Out);
    } else {
      this.linearGrad(enc, l, 'attn.q', a.dnorm, a.dq, s.norm1Out);
      this.linearGrad(enc, l, 'attn.k', a.dnorm, a.dk, s.norm1Out);
      this.linearGrad(enc, l, 'attn.v', a.dnorm, a.dv, s.norm1Out);
    }
    this.normBackward(enc, a.dres, a.dnorm, a.residual[l], s.norm1, `layers.${l}.norm1`);
  }

  private linear(enc: Encoder, l: number, kind: BlockLinear['kind'], y: GPUBuffer, x: GPUBuffer, rows: number): void {
    const name = linearName(l, kind);
    linearForward(enc, y, x, this.linearWeights(name, kind), this.adaptersOff ? null : (this.adapters.get(name) ?? null), rows);
  }

  private linearGrad(enc: Encoder, l: number, kind: BlockLinear['kind'], dx: GPUBuffer, dy: GPUBuffer, x: GPUBuffer): void {
    const name = linearName(l, kind);
    const dW = this.weightGradients.get(name) ?? this.parameterGradients.get(`${name}.weight`) ?? null;
    const dbias = this.parameterGradients.get(`${name}.bias`);
    const bias: BiasGradient | null = dbias && this.ones ? { dbias, ones: this.ones } : null;
    linearBackward(enc, dx, dy, x, this.linearWeights(name, kind), this.adapters.get(name) ?? null, dW, this.N, bias);
  }

  private linearShape(name: string): BlockLinear {
    const match = /^layers\.(\d+)\.(.+)$/.exec(name);
    const shape = match && Number(match[1]) < this.spec.layers ? this.linears.find((b) => b.kind === match[2]) : undefined;
    if (!shape) throw new RangeError(`"${name}" is not a linear layer of this model`);
    return shape;
  }

  private linearWeights(name: string, kind: BlockLinear['kind']): LinearWeights {
    const shape = this.linears.find((b) => b.kind === kind)!;
    return { name, out: shape.out, in: shape.in, weight: this.linearWeight(name), bias: shape.bias ? this.weight(`${name}.bias`) : null };
  }

  /** The frozen W [out, in] of a linear layer (`layers.3.attn.q`): an f32 buffer or a packed weight. */
  linearWeight(name: string): GPUBuffer | PackedWeight {
    return this.packed.get(`${name}.weight`) ?? this.weight(`${name}.weight`);
  }

  /** out [rows, C] = the norm `name` of x (rows: N unless the decoder says). */
  normForward(enc: Encoder, out: GPUBuffer, saved: NormSaved, x: GPUBuffer, name: string, N = this.N): void {
    const { spec } = this;
    const C = spec.hiddenSize;
    if (spec.norm === 'rms') rmsnormForward(enc, out, saved.rstd, x, this.weight(`${name}.weight`), N, C, spec.normEps);
    else layernormForward(enc, out, saved.mean!, saved.rstd, x, this.weight(`${name}.weight`), this.weight(`${name}.bias`), N, C, spec.normEps);
  }

  private normBackward(enc: Encoder, dx: GPUBuffer, dout: GPUBuffer, x: GPUBuffer, saved: NormSaved, name: string): void {
    const { N, spec } = this;
    const C = spec.hiddenSize;
    const dweight = this.parameterGradients.get(`${name}.weight`) ?? null;
    if (spec.norm === 'rms') rmsnormBackward(enc, dx, dweight, dout, x, this.weight(`${name}.weight`), saved.rstd, N, C);
    else layernormBackward(enc, dx, dweight, this.parameterGradients.get(`${name}.bias`) ?? null, dout, x, this.weight(`${name}.weight`), saved.mean!, saved.rstd, N, C);
  }

  private weight(name: string): GPUBuffer {
    const buffer = this.weights.get(name);
    if (!buffer) throw new Error(`the model has no weight "${name}"`);
    return buffer;
  }
}
