// The LM head and the loss: logits [N, V] = x · Eᵀ, losses = cross-entropy (and, when training,
// the logits turned into their gradient), and backward to x and E.
//
// The logits are the largest activation (B·T·V floats: 8 × 512 × 151,936 × 4 = 2.5 GB for Qwen2),
// and no kernel may bind more than the binding limit. When they fit one binding, the head works on
// them directly. When they do not, it works in passes over R token rows at a time (R·V·4 ≤ the
// limit): the rows of x and of the targets are copied into bindable scratch buffers, the head and
// the cross-entropy run on those, and the pass's logits (or their gradient) and losses are copied
// back into the full-size buffers; backward copies the same rows back out. Buffer-to-buffer copies
// bind nothing, so the full logits buffer only has to fit maxBufferSize, and every reader of
// `Transformer.logits` (generation, `gora logits`) sees the whole [N, V] as before.

import type { Allocator } from '../gpu/gpu';
import type { Encoder } from '../gpu/encoder';
import { crossEntropy } from './ops/crossentropy';
import type { VocabChunks } from './vocab-chunks';

/** Token rows per pass of the head: all N when [N, V] logits fit one binding. */
export function headRowsPerPass(N: number, V: number, limitBytes: number): number {
  const rowBytes = V * 4;
  if (rowBytes > limitBytes) throw new RangeError(`one row of logits over the vocabulary of ${V} needs ${rowBytes} bytes, above this GPU's ${limitBytes}-byte storage binding limit`);
  return Math.min(N, Math.floor(limitBytes / rowBytes));
}

interface PassBuffers {
  x: GPUBuffer; // [R, C]
  dx: GPUBuffer; // [R, C]
  logits: GPUBuffer; // [R, V]
  targets: GPUBuffer; // [R] i32
  losses: GPUBuffer; // [R]
}

export class LmHead {
  /** R: token rows per pass. */
  readonly rows: number;
  /** Scratch of one pass; null when the head runs on all N rows at once. */
  private readonly pass: PassBuffers | null;

  constructor(
    gpu: Allocator,
    private readonly vocab: VocabChunks,
    readonly N: number,
    readonly C: number,
    readonly V: number,
    /** From headRowsPerPass. */
    rows: number,
  ) {
    this.rows = rows;
    if (rows >= N) {
      this.pass = null;
      return;
    }
    const make = (label: string, floats: number) => gpu.createBuffer(`head pass ${label}`, floats * 4);
    this.pass = { x: make('x', rows * C), dx: make('dx', rows * C), logits: make('logits', rows * V), targets: make('targets', rows), losses: make('losses', rows) };
  }

  /**
   * logits [N, V] = x [N, C] · Eᵀ; losses [N] = cross-entropy against targets [N]; with gradScale,
   * the logits are replaced by their gradient (crossEntropy).
   */
  forward(enc: Encoder, logits: GPUBuffer, losses: GPUBuffer, x: GPUBuffer, targets: GPUBuffer, gradScale: number | null): void {
    const { pass, N, C, V } = this;
    if (!pass) {
      this.vocab.headForward(enc, logits, x, N);
      crossEntropy(enc, losses, logits, targets, N, V, gradScale);
      return;
    }
    for (let lo = 0; lo < N; lo += this.rows) {
      const r = Math.min(this.rows, N - lo);
      enc.copy(x, pass.x, r * C * 4, lo * C * 4);
      enc.copy(targets, pass.targets, r * 4, lo * 4);
      this.vocab.headForward(enc, pass.logits, pass.x, r);
      crossEntropy(enc, pass.losses, pass.logits, pass.targets, r, V, gradScale);
      enc.copy(pass.logits, logits, r * V * 4, 0, lo * V * 4);
      enc.copy(pass.losses, losses, r * 4, 0, lo * 4);
    }
  }

  /** dx [N, C] = dlogits · E (overwritten); the head's gradients (by chunk name in grads) += dlogitsᵀ · x. */
  backward(enc: Encoder, dx: GPUBuffer, grads: ReadonlyMap<string, GPUBuffer>, dlogits: GPUBuffer, x: GPUBuffer): void {
    const { pass, N, C, V } = this;
    if (!pass) {
      this.vocab.headBackward(enc, dx, grads, dlogits, x, N);
      return;
    }
    for (let lo = 0; lo < N; lo += this.rows) {
      const r = Math.min(this.rows, N - lo);
      enc.copy(x, pass.x, r * C * 4, lo * C * 4);
      enc.copy(dlogits, pass.logits, r * V * 4, lo * V * 4);
      this.vocab.headBackward(enc, pass.dx, grads, pass.logits, pass.x, r);
      enc.copy(pass.dx, dx, r * C * 4, 0, lo * C * 4);
    }
  }

  destroy(): void {
    if (this.pass) for (const buffer of Object.values(this.pass)) buffer.destroy();
  }
}
