// Prompt → completion for encoder-decoder models (src/data/seq2seq.ts): both sides end with EOS,
// a long side keeps its start and its EOS, padding masks the encoder and −100 the labels, and the
// decoder's input is transformers' shift-right of the labels.

import { describe, expect, it } from 'vitest';
import { seq2seqBatch, seq2seqManifestRow, seq2seqRow, shiftRight } from '../../src/data/seq2seq';

// A tokenizer of one id per character (a = 10, b = 11, …), EOS 1, pad 0, decoder start 0.
const tokens = { encode: (text: string) => Array.from(text, (c) => c.charCodeAt(0) - 87), eos: 1, pad: 0, decoderStart: 0 };

describe('seq2seq rows and batches', () => {
  it('end each side with EOS, and cut a long side keeping its start and its EOS', () => {
    const row = seq2seqRow({ prompt: 'abc', completion: 'd' }, tokens, 8, 4);
    expect([...row.inputIds]).toEqual([10, 11, 12, 1]);
    expect([...row.labels]).toEqual([13, 1]);
    expect(row.truncated).toBe(false);
    const cut = seq2seqRow({ prompt: 'abcdefgh', completion: 'xyz' }, tokens, 4, 3);
    expect([...cut.inputIds]).toEqual([10, 11, 12, 1]);
    expect([...cut.labels]).toEqual([33, 34, 1]);
    expect(cut.truncated).toBe(true);
  });

  it('pad the encoder with a mask, the labels with −100, and shift the labels right into the decoder', () => {
    const rows = [seq2seqRow({ prompt: 'abc', completion: 'de' }, tokens, 8, 8), seq2seqRow({ prompt: 'a', completion: 'f' }, tokens, 8, 8)];
    const batch = seq2seqBatch(rows, 3, 5, 4, tokens);
    expect([...batch.inputIds]).toEqual([10, 11, 12, 1, 0, 10, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...batch.attentionMask]).toEqual([1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...batch.labels]).toEqual([13, 14, 1, -100, 15, 1, -100, -100, -100, -100, -100, -100]);
    expect([...batch.decoderInputIds]).toEqual([0, 13, 14, 1, 0, 15, 1, 0, 0, 0, 0, 0]);
    expect(seq2seqManifestRow(batch, 1)).toEqual({ input_ids: [10, 1, 0, 0, 0], attention_mask: [1, 1, 0, 0, 0], labels: [15, 1, -100, -100] });
    expect([...shiftRight(Int32Array.from([5, 6, -100]), 2, 0)]).toEqual([2, 5, 6]);
    expect(() => seq2seqBatch(rows, 1, 5, 4, tokens)).toThrow(/2 rows do not fit a batch of 1/);
    expect(() => seq2seqBatch(rows, 2, 3, 4, tokens)).toThrow(/row 0 \(4 → 3 tokens\) is longer than the batch's 3 → 4/);
  });
});
