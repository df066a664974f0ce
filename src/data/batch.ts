// Rows to the tensors training consumes, in Hugging Face's causal-LM convention:
//   input_ids [B, T]  token ids, rows padded on the right with the pad token
//   labels    [B, T]  = input_ids where the loss counts, −100 elsewhere (prompt, padding)
// The model's loss at position t predicts labels[t+1]; the GPU engine takes that shift ready-made:
//   tokens    [B, T]  = input_ids
//   targets   [B, T]  targets[b, t] = labels[b, t+1], targets[b, T−1] = −100
// T is the same for every batch, so the engine allocates its buffers once.

import type { TokenSequence } from './tokenize';
import { countTargets } from './tokenize';

/** PyTorch's ignore_index, as src/engine/ops/crossentropy.ts expects it. */
export const IGNORE_INDEX = -100;

export interface Batch {
  /** B: rows in the tensors, real rows first, then (in a last short batch) rows of padding. */
  batchSize: number;
  /** T. */
  seqLen: number;
  /** Rows that hold data. */
  rows: number;
  /** input_ids [B, T]. */
  inputIds: Uint32Array;
  /** labels [B, T]. */
  labels: Int32Array;
  /** tokens [B, T]: the same array as inputIds, under the engine's name. */
  tokens: Uint32Array;
  /** targets [B, T]: labels shifted left by one, −100 in the last column. */
  targets: Int32Array;
  /** Targets ≥ 0: the denominator of the batch's mean token loss; never 0. */
  count: number;
  /**
   * Encoder-decoder models (./seq2seq.ts): the encoder's input, each row padded to one length. The
   * decoder's side is then tokens (its input, the labels shifted right) and targets (the labels).
   */
  source?: SourceSide;
}

/** The encoder's input of a batch: ids [B, S] padded with the pad id, mask [B, S] (1: token, 0: padding). */
export interface SourceSide {
  ids: Uint32Array;
  mask: Float32Array;
  length: number;
}

/**
 * A batch of up to batchSize rows of at most seqLen tokens. A short last batch is filled with rows
 * of padding, which count nothing: the mean loss over counted targets is unchanged, and the tensor
 * shapes stay fixed.
 */
export function makeBatch(rows: readonly TokenSequence[], batchSize: number, seqLen: number, padId: number): Batch {
  if (rows.length === 0 || rows.length > batchSize) throw new RangeError(`a batch takes 1 to ${batchSize} rows, got ${rows.length}`);
  const T = seqLen;
  const inputIds = new Uint32Array(batchSize * T).fill(padId);
  const labels = new Int32Array(batchSize * T).fill(IGNORE_INDEX);
  const targets = new Int32Array(batchSize * T).fill(IGNORE_INDEX);
  rows.forEach((row, b) => {
    const L = row.ids.length;
    if (L > T) throw new RangeError(`row ${b} has ${L} tokens, more than the sequence length ${T}`);
    inputIds.set(row.ids, b * T);
    for (let t = 0; t < L; t++) if (row.mask[t]) labels[b * T + t] = row.ids[t];
  });
  let count = 0;
  for (let b = 0; b < rows.length; b++) {
    for (let t = 0; t < T - 1; t++) {
      const label = labels[b * T + t + 1];
      targets[b * T + t] = label;
      if (label >= 0) count++;
    }
  }
  // Callers filter out rows without targets; a batch that would divide by zero is a bug to surface.
  if (count === 0) throw new RangeError('a batch with no counted target (every label is -100)');
  return { batchSize, seqLen, rows: rows.length, inputIds, labels, tokens: inputIds, targets, count };
}

/**
 * Packing (as Hugging Face's run_clm group_texts): the sequences, each already ending in EOS, are
 * concatenated and cut into rows of exactly seqLen tokens, so no compute goes to padding. The last
 * shorter piece is kept (padded) rather than dropped, so that small validation splits keep their
 * data. Masks travel with their tokens; rows with no target are left out.
 */
export function packSequences(seqs: readonly TokenSequence[], seqLen: number): TokenSequence[] {
  const rows: TokenSequence[] = [];
  let ids = new Uint32Array(seqLen);
  let mask = new Uint8Array(seqLen);
  let filled = 0;
  const emit = (length: number) => {
    const row: TokenSequence = { ids: ids.subarray(0, length), mask: mask.subarray(0, length), kind: 'text' };
    if (countTargets(row) > 0) rows.push(row);
    ids = new Uint32Array(seqLen);
    mask = new Uint8Array(seqLen);
    filled = 0;
  };
  for (const seq of seqs) {
    let at = 0;
    while (at < seq.ids.length) {
      const take = Math.min(seqLen - filled, seq.ids.length - at);
      ids.set(seq.ids.subarray(at, at + take), filled);
      mask.set(seq.mask.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === seqLen) emit(seqLen);
    }
  }
  if (filled > 0) emit(filled);
  return rows;
}
