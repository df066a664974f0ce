// How a model reads the data's rows, which evaluation needs besides the model: rows to a batch,
// where in a row's logits the completion's first token is predicted, and a prompt with a candidate
// completion as one row. A decoder-only model reads a row as one sequence (./batch.ts); an
// encoder-decoder model reads the prompt as the encoder's input and the completion as the decoder's
// labels (./seq2seq.ts).

import { makeBatch, type Batch } from './batch';
import { seq2seqBatchOf, type Seq2SeqIds } from './seq2seq';
import type { TokenSequence } from './tokenize';

export interface RowLayout {
  /** Up to B rows as one batch of the data's shape. */
  batchOf(rows: readonly TokenSequence[]): Batch;
  /** The position whose logits predict a row's first completion token, given where its prompt ends. */
  firstLabelLogit(promptEnd: number): number;
  /** A prompt followed by a completion as one row that fits the shape (counting the completion only). */
  candidate(prompt: Uint32Array, completion: readonly number[]): TokenSequence;
}

function candidateRow(prompt: Uint32Array, completion: readonly number[]): TokenSequence {
  const ids = new Uint32Array([...prompt, ...completion]);
  const mask = new Uint8Array(ids.length);
  mask.fill(1, prompt.length);
  return { ids, mask, kind: 'completion' };
}

/** One sequence of T tokens per row; the logits at t predict the token at t + 1. */
export function decoderLayout(B: number, T: number, pad: number): RowLayout {
  return {
    batchOf: (rows) => makeBatch(rows, B, T, pad),
    firstLabelLogit: (promptEnd) => promptEnd - 1,
    // Keep the end of a long prompt: the completion must follow it directly.
    candidate: (prompt, completion) => candidateRow(prompt.subarray(Math.max(0, prompt.length + completion.length - T)), completion),
  };
}

/** The prompt as the encoder's S tokens, the completion as the decoder's T labels; the first label is predicted at position 0. */
export function seq2seqLayout(ids: Seq2SeqIds, B: number, S: number, T: number): RowLayout {
  return {
    batchOf: seq2seqBatchOf(ids, B, S, T),
    firstLabelLogit: () => 0,
    candidate: candidateRow,
  };
}
