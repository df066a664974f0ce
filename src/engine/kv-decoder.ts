// Decoding with a key/value cache for the decoder-only Transformer. The sequence grows by appended
// tokens: each append runs the model's own blocks (Transformer.blockForward) over the new rows only,
// writes their keys and values into each layer's cache at their positions, and attends over the
// cache (shaders/attention-cached.wgsl). A prompt goes in as one prefill (in chunks of at most the
// rows the model's adapters hold), then one token per step: a step costs O(length) attention and
// one row through every linear layer, where a re-run costs the whole sequence again.
// Positions carry over from the cache's length: GPT-2's learned positions and the rotary tables
// are read from that row on. The adapters are the model's own, unmerged.

import type { Gpu } from '../gpu/gpu';
import type { Encoder } from '../gpu/encoder';
import type { BlockPass, Transformer } from './transformer';
import type { NormSaved } from './transformer-buffers';
import { architectureOf } from '../model/architectures';
import { cachedAttentionForward } from './ops/attention-cached';
import { ropeForward } from './ops/rope';
import { ropeTables } from './rope-tables';
import { VocabChunks } from './vocab-chunks';

export class KvDecoder {
  /** Rows one pass takes: a longer append runs in chunks. */
  readonly rows: number;
  /** Tokens in the cache so far. */
  private length = 0;
  private readonly all: GPUBuffer[] = [];
  private readonly vocab: VocabChunks;
  private readonly tokens: GPUBuffer;
  private readonly residual: [GPUBuffer, GPUBuffer];
  private readonly s: BlockPass['s'];
  private readonly projOut: GPUBuffer;
  private readonly qkv: GPUBuffer | null;
  private readonly cache: Array<{ k: GPUBuffer; v: GPUBuffer }>;
  /** GPT-2: the learned positions of the pass's rows, copied from the table. */
  private readonly positions: GPUBuffer | null;
  /** Rotary models: the whole table, and the pass's rows of it. */
  private readonly rope: { cos: GPUBuffer; sin: GPUBuffer; passCos: GPUBuffer; passSin: GPUBuffer } | null;
  private readonly last: { x: GPUBuffer; out: GPUBuffer; saved: NormSaved; logits: GPUBuffer };

  constructor(
    private readonly model: Transformer<Gpu>,
    /** The longest sequence this decoder holds, prompt included. */
    readonly maxLength: number,
  ) {
    const { spec, gpu } = model;
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > spec.maxPositions) {
      throw new RangeError(`a decoding cache holds 1 to ${spec.maxPositions} positions (the model's), asked for ${maxLength}`);
    }
    const { hiddenSize: C, heads: Hq, kvHeads: Hkv, headDim: D, intermediateSize: F } = spec;
    const R = (this.rows = Math.min(model.N, maxLength));
    const make = (label: string, floats: number) => {
      const buffer = gpu.createBuffer(`decode ${label}`, Math.max(1, floats) * 4);
      this.all.push(buffer);
      return buffer;
    };
    const norm = (label: string, rows: number): NormSaved => ({ mean: spec.norm === 'layer' ? make(`${label} mean`, rows) : null, rstd: make(`${label} rstd`, rows) });
    this.vocab = new VocabChunks(gpu, model.weights, spec.tiedEmbeddings, R, C, spec.vocabSize, 1);
    this.tokens = make('tokens', R);
    this.residual = [make('residual a', R * C), make('residual b', R * C)];
    this.s = {
      norm1: norm('norm1', R),
      norm1Out: make('norm1 out', R * C),
      q: make('q', R * Hq * D),
      k: make('k', R * Hkv * D),
      v: make('v', R * Hkv * D),
      att: make('attention', R * Hq * D),
      mid: make('mid residual', R * C),
      norm2: norm('norm2', R),
      norm2Out: make('norm2 out', R * C),
      hidden1: make('hidden1', R * F),
      hidden2: spec.mlp === 'swiglu' ? make('hidden2', R * F) : null,
      act: make('activation', R * F),
    };
    this.projOut = make('projection out', R * C);
    this.qkv = architectureOf(spec).fusedQkv ? make('qkv', R * 3 * C) : null;
    this.cache = Array.from({ length: spec.layers }, (_, l) => ({ k: make(`layer ${l} key cache`, maxLength * Hkv * D), v: make(`layer ${l} value cache`, maxLength * Hkv * D) }));
    this.positions = spec.rope ? null : make('positions', R * C);
    if (spec.rope) {
      const tables = ropeTables(spec.rope, D, maxLength);
      const upload = (label: string, data: Float32Array) => {
        const buffer = gpu.upload(`decode ${label}`, data);
        this.all.push(buffer);
        return buffer;
      };
      this.rope = { cos: upload('rope cos', tables.cos), sin: upload('rope sin', tables.sin), passCos: make('pass rope cos', (R * D) / 2), passSin: make('pass rope sin', (R * D) / 2) };
    } else this.rope = null;
    this.last = { x: make('last row', C), out: make('last row normed', C), saved: norm('final norm', 1), logits: make('logits', spec.vocabSize) };
  }

  /** Tokens in the cache. */
  get size(): number {
    return this.length;
  }

  /** Empties the cache for a new sequence. */
  reset(): void {
    this.length = 0;
  }

  /** Appends tokens to the sequence; returns the logits [V] that follow the last of them. */
  async append(tokens: ArrayLike<number>): Promise<Float32Array> {
    const { gpu, spec } = this.model;
    const ids = Array.from(tokens);
    if (ids.length === 0) throw new RangeError('nothing to append');
    if (this.length + ids.length > this.maxLength) throw new RangeError(`the sequence would reach ${this.length + ids.length} tokens, above the cache's ${this.maxLength}`);
    for (const token of ids) if (!Number.isInteger(token) || token < 0 || token >= spec.vocabSize) throw new RangeError(`token id ${token} is outside the vocabulary (${spec.vocabSize})`);
    for (let lo = 0; lo < ids.length; lo += this.rows) {
      const chunk = Uint32Array.from(ids.slice(lo, lo + this.rows));
      const final = lo + chunk.length === ids.length;
      gpu.write(this.tokens, chunk);
      await gpu.run('decode', (enc) => this.pass(enc, chunk.length, final));
      this.length += chunk.length;
    }
    return gpu.readF32(this.last.logits, spec.vocabSize);
  }

  /** The new rows through the model, starting at position this.length; with `head`, the last row's logits. */
  private pass(enc: Encoder, rows: number, head: boolean): void {
    const { spec } = this.model;
    const { hiddenSize: C, heads: Hq, kvHeads: Hkv, headDim: D } = spec;
    const start = this.length;
    if (this.positions) enc.copy(this.model.weights.get('pos_embed')!, this.positions, rows * C * 4, start * C * 4);
    this.vocab.embedForward(enc, this.residual[0], this.tokens, this.positions, rows, rows);
    if (this.rope) {
      const bytes = (rows * D * 4) / 2;
      enc.copy(this.rope.cos, this.rope.passCos, bytes, (start * D * 4) / 2);
      enc.copy(this.rope.sin, this.rope.passSin, bytes, (start * D * 4) / 2);
    }
    for (let l = 0; l < spec.layers; l++) {
      const [x, out] = l % 2 === 0 ? this.residual : [this.residual[1], this.residual[0]];
      const { k, v } = this.cache[l];
      const s = this.s;
      const attend = (e: Encoder) => {
        if (this.rope) {
          ropeForward(e, s.q, this.rope.passCos, this.rope.passSin, rows, rows, Hq, D);
          ropeForward(e, s.k, this.rope.passCos, this.rope.passSin, rows, rows, Hkv, D);
        }
        const rowBytes = Hkv * D * 4;
        e.copy(s.k, k, rows * rowBytes, 0, start * rowBytes);
        e.copy(s.v, v, rows * rowBytes, 0, start * rowBytes);
        cachedAttentionForward(e, s.att, s.q, k, v, null, { Tq: rows, start, Hq, Hkv, D, scale: 1 / Math.sqrt(D) });
      };
      this.model.blockForward(enc, l, { rows, x, out, s, projOut: this.projOut, qkv: this.qkv, attend });
    }
    if (!head) return;
    const final = this.residual[spec.layers % 2];
    enc.copy(final, this.last.x, C * 4, (rows - 1) * C * 4);
    this.model.normForward(enc, this.last.out, this.last.saved, this.last.x, 'final_norm', 1);
    this.vocab.headForward(enc, this.last.logits, this.last.out, 1);
  }

  destroy(): void {
    for (const buffer of this.all) buffer.destroy();
    this.vocab.destroy();
  }
}
