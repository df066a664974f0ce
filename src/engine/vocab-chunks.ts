// The token embedding and the LM head over a vocabulary that may be split by rows across buffers
// (./row-chunks.ts). With one chunk every call is the plain kernel on the whole table, exactly as
// before the split existed. With several (chunk k holds rows lo_k .. lo_k + V_k of E [V, C]):
//   embedding:  out = E[tokens]   — the first chunk gathers (a token outside it reads as zero), each
//               later chunk adds its rows for the tokens it holds (exactly one chunk holds a token).
//   head:       logits[:, lo_k : lo_k + V_k] = x · E_kᵀ, into a scratch [rows, V_k] then copied into
//               the logits' columns (copy_columns; the matmul keeps its plain packed layout).
//   backward:   dx = Σ_k dlogits[:, lo_k : lo_k + V_k] · E_k;  dE_k += dlogits[:, cols_k]ᵀ · x;
//               dE_k += the embedding's scatter of dout for the tokens in chunk k.
// Gradients of a split table are split the same way: full training tracks one per chunk, keyed by
// the chunk's name (Transformer.trackParameterGradients makes one per weight-map entry).

import type { Allocator } from '../gpu/gpu';
import type { Encoder } from '../gpu/encoder';
import { copyColumns } from './ops/elementwise';
import { embeddingAddRows, embeddingBackward, embeddingForward } from './ops/embedding';
import { matmul } from './ops/matmul';
import { rowChunks, type RowChunk } from './row-chunks';

export class VocabChunks {
  readonly embed: RowChunk[];
  readonly head: RowChunk[];
  /** [headRows, max V_k]: one chunk's logits or their gradient; null when the head is one chunk. */
  private readonly scratch: GPUBuffer | null;

  constructor(
    gpu: Allocator,
    weights: ReadonlyMap<string, GPUBuffer>,
    tied: boolean,
    readonly N: number,
    readonly C: number,
    readonly V: number,
    /** The most token rows one head call gets (./lm-head.ts passes fewer than N when the logits are split too). */
    headRows = N,
  ) {
    this.embed = rowChunks(weights, 'embed', C);
    this.head = tied ? this.embed : rowChunks(weights, 'lm_head', C);
    for (const [name, chunks] of [['embed', this.embed], ['lm_head', this.head]] as const) {
      const rows = chunks.reduce((sum, k) => sum + k.rows, 0);
      if (rows !== V) throw new RangeError(`${name} holds ${rows} rows, the vocabulary ${V}`);
    }
    this.scratch = this.head.length > 1 ? gpu.createBuffer('head chunk logits', headRows * Math.max(...this.head.map((k) => k.rows)) * 4) : null;
  }

  /** out [rows, C] = E[tokens] + (wpe ? wpe[n mod T] : 0), rows ≤ N. */
  embedForward(enc: Encoder, out: GPUBuffer, tokens: GPUBuffer, wpe: GPUBuffer | null, T: number, N = this.N): void {
    const { C } = this;
    embeddingForward(enc, out, tokens, this.embed[0].buffer, wpe, N, T, C);
    for (const k of this.embed.slice(1)) embeddingAddRows(enc, out, tokens, k.buffer, k.lo, N, C);
  }

  /** dE_k += scatter of dout [N, C] (gradients by chunk name, skipped when absent), dwpe += per position. */
  embedBackward(enc: Encoder, grads: ReadonlyMap<string, GPUBuffer>, dwpe: GPUBuffer | null, dout: GPUBuffer, tokens: GPUBuffer, T: number): void {
    const { N, C } = this;
    let positions = dwpe;
    for (const k of this.embed) {
      const dE = grads.get(k.name) ?? null;
      if (!dE && !positions) continue;
      embeddingBackward(enc, dE, positions, dout, tokens, N, T, C, k.lo);
      positions = null;
    }
  }

  /** logits [M, V] = x [M, C] · Eᵀ, M ≤ headRows. */
  headForward(enc: Encoder, logits: GPUBuffer, x: GPUBuffer, M: number): void {
    const { C, V, scratch } = this;
    if (!scratch) {
      matmul(enc, logits, x, this.head[0].buffer, null, { M, N: V, K: C, transB: true });
      return;
    }
    for (const k of this.head) {
      matmul(enc, scratch, x, k.buffer, null, { M, N: k.rows, K: C, transB: true });
      copyColumns(enc, logits, { stride: V, offset: k.lo }, scratch, { stride: k.rows, offset: 0 }, M, k.rows);
    }
  }

  /** dx [M, C] = dlogits [M, V] · E (overwritten); dE_k += dlogits[:, cols_k]ᵀ · x where grads holds dE_k. */
  headBackward(enc: Encoder, dx: GPUBuffer, grads: ReadonlyMap<string, GPUBuffer>, dlogits: GPUBuffer, x: GPUBuffer, M: number): void {
    const { C, V, scratch } = this;
    if (!scratch) {
      const k = this.head[0];
      matmul(enc, dx, dlogits, k.buffer, null, { M, N: C, K: V });
      const dE = grads.get(k.name);
      if (dE) matmul(enc, dE, dlogits, x, null, { M: V, N: C, K: M, transA: true, accumulate: true });
      return;
    }
    this.head.forEach((k, i) => {
      copyColumns(enc, scratch, { stride: k.rows, offset: 0 }, dlogits, { stride: V, offset: k.lo }, M, k.rows);
      matmul(enc, dx, scratch, k.buffer, null, { M, N: C, K: k.rows, accumulate: i > 0 });
      const dE = grads.get(k.name);
      if (dE) matmul(enc, dE, scratch, x, null, { M: k.rows, N: C, K: M, transA: true, accumulate: true });
    });
  }

  destroy(): void {
    this.scratch?.destroy();
  }
}
