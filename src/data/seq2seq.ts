// Prompt/completion examples for an encoder-decoder model (T5): the prompt is the encoder's input,
// the completion the decoder's labels (transformers' `labels` convention: the loss counts every
// label but −100, with no shift inside it), and the decoder's input is the labels shifted right
// from decoder_start_token_id. Both sides end with the end-of-sequence token, as T5's tokenizer
// writes them; a side longer than its length keeps its start and its end-of-sequence token.

import type { CompletionExample } from './example';
import type { Batch } from './batch';
import type { DataTokenizer, TokenSequence } from './tokenize';
import { promptLength } from './tokenize';

/** What tokenising needs: a tokenizer that encodes text, and the ids the model names. */
export interface Seq2SeqTokens {
  encode(text: string): number[];
  eos: number;
  pad: number;
  decoderStart: number;
}

export interface Seq2SeqRow {
  inputIds: Uint32Array;
  labels: Int32Array;
  /** A side was cut to fit its length. */
  truncated: boolean;
}

/** ids ending with EOS, at most `length` of them (a cut keeps the start and the EOS). */
function withEos(ids: number[], eos: number, length: number): { ids: number[]; truncated: boolean } {
  const ended = ids.at(-1) === eos ? ids : [...ids, eos];
  if (ended.length <= length) return { ids: ended, truncated: false };
  return { ids: [...ended.slice(0, length - 1), eos], truncated: true };
}

export function seq2seqRow(example: CompletionExample, tokens: Seq2SeqTokens, sourceLength: number, targetLength: number): Seq2SeqRow {
  const source = withEos(tokens.encode(example.prompt), tokens.eos, sourceLength);
  const target = withEos(tokens.encode(example.completion), tokens.eos, targetLength);
  return { inputIds: Uint32Array.from(source.ids), labels: Int32Array.from(target.ids), truncated: source.truncated || target.truncated };
}

export interface Seq2SeqBatch {
  B: number;
  S: number;
  T: number;
  inputIds: Uint32Array; // [B, S], padded with the pad id
  attentionMask: Float32Array; // [B, S]: 1 for a token, 0 for padding
  labels: Int32Array; // [B, T], padded with −100
  decoderInputIds: Uint32Array; // [B, T]: decoder_start_token_id, then the labels without the last (−100 as pad)
}

/** B rows padded to S source and T target positions (rows past the end of `rows` are all padding). */
export function seq2seqBatch(rows: readonly Seq2SeqRow[], B: number, S: number, T: number, tokens: Pick<Seq2SeqTokens, 'pad' | 'decoderStart'>): Seq2SeqBatch {
  if (rows.length > B) throw new RangeError(`${rows.length} rows do not fit a batch of ${B}`);
  const batch: Seq2SeqBatch = {
    B,
    S,
    T,
    inputIds: new Uint32Array(B * S).fill(tokens.pad),
    attentionMask: new Float32Array(B * S),
    labels: new Int32Array(B * T).fill(-100),
    decoderInputIds: new Uint32Array(B * T).fill(tokens.pad),
  };
  rows.forEach((row, b) => {
    if (row.inputIds.length > S || row.labels.length > T) throw new RangeError(`row ${b} (${row.inputIds.length} → ${row.labels.length} tokens) is longer than the batch's ${S} → ${T}`);
    batch.inputIds.set(row.inputIds, b * S);
    batch.attentionMask.fill(1, b * S, b * S + row.inputIds.length);
    batch.labels.set(row.labels, b * T);
    batch.decoderInputIds.set(shiftRight(batch.labels.subarray(b * T, (b + 1) * T), tokens.decoderStart, tokens.pad), b * T);
  });
  return batch;
}

/** transformers' shift-right of the labels: decoder_start_token_id first, −100 replaced by the pad id. */
export function shiftRight(labels: Int32Array, decoderStart: number, pad: number): Uint32Array {
  const out = new Uint32Array(labels.length);
  out[0] = decoderStart;
  for (let t = 1; t < labels.length; t++) out[t] = labels[t - 1] === -100 ? pad : labels[t - 1];
  return out;
}

/** A row of data_manifest.json for an encoder-decoder model, as transformers' model takes its inputs. */
export function seq2seqManifestRow(batch: Seq2SeqBatch, b: number): { input_ids: number[]; attention_mask: number[]; labels: number[] } {
  const { S, T } = batch;
  return {
    input_ids: Array.from(batch.inputIds.subarray(b * S, (b + 1) * S)),
    attention_mask: Array.from(batch.attentionMask.subarray(b * S, (b + 1) * S)),
    labels: Array.from(batch.labels.subarray(b * T, (b + 1) * T)),
  };
}

/** The ids an encoder-decoder model names for its data (config.json's). */
export interface Seq2SeqIds {
  eos: number;
  pad: number;
  decoderStart: number;
}

/**
 * An example as one row of the data pipeline: the source's ids (mask 0), then the labels' (mask 1),
 * so that splitting, label detection and scheduling treat it as they treat a prompt and its
 * completion; promptLength(row) is where the source ends. Each side is at most `length` tokens.
 */
export function seq2seqSequence(example: CompletionExample, tokenizer: DataTokenizer, ids: Seq2SeqIds, length: number): { row: TokenSequence; truncated: boolean } {
  const encode = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });
  const { inputIds, labels, truncated } = seq2seqRow(example, { ...ids, encode }, length, length);
  const row = { ids: new Uint32Array(inputIds.length + labels.length), mask: new Uint8Array(inputIds.length + labels.length), kind: 'completion' as const };
  row.ids.set(inputIds);
  row.ids.set(labels, inputIds.length);
  row.mask.fill(1, inputIds.length);
  return { row, truncated };
}

/** A text's ids as either side of a row holds them: its tokens and EOS (a label's, or a prompt's). */
export function seq2seqTextIds(text: string, tokenizer: DataTokenizer, ids: Seq2SeqIds): number[] {
  return withEos(tokenizer.encode(text, { addSpecialTokens: false }), ids.eos, Number.MAX_SAFE_INTEGER).ids;
}

/**
 * Rows made by seq2seqSequence as a batch of B rows: the encoder's input padded to S as the source,
 * the decoder's input (labels shifted right) as tokens and the labels padded to T as targets.
 */
export function seq2seqBatchOf(ids: Seq2SeqIds, B: number, S: number, T: number): (rows: readonly TokenSequence[]) => Batch {
  return (rows) => {
    if (rows.length === 0) throw new RangeError(`a batch takes 1 to ${B} rows, got 0`);
    const split = rows.map((row) => {
      const end = promptLength(row);
      return { inputIds: row.ids.subarray(0, end), labels: Int32Array.from(row.ids.subarray(end)), truncated: false };
    });
    const batch = seq2seqBatch(split, B, S, T, ids);
    const count = batch.labels.reduce((n, label) => n + (label >= 0 ? 1 : 0), 0);
    if (count === 0) throw new RangeError('a batch with no counted target (every label is -100)');
    return {
      batchSize: B,
      seqLen: T,
      rows: rows.length,
      inputIds: batch.decoderInputIds,
      labels: batch.labels,
      tokens: batch.decoderInputIds,
      targets: batch.labels,
      count,
      source: { ids: batch.inputIds, mask: batch.attentionMask, length: S },
    };
  };
}
