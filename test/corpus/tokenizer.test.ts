import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../../src/model/tokenizer';
import { VOCAB_SIZE } from '../../scripts/corpus/tokenizer-files';

const MODEL = join(import.meta.dirname, '..', '..', 'public', 'models', 'gora-tiny');
const DATASETS = join(import.meta.dirname, '..', '..', 'public', 'datasets');

function json(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(MODEL, file), 'utf8')) as Record<string, unknown>;
}

const TEXTS = [
  'Call me Ishmael. Some years ago--never mind how long precisely--I thought I would sail about.',
  'Mr. Speaker, Mr. Vice President, Members of Congress, my fellow Americans:\n\nTonight marks the 8th year.',
  "  leading spaces, trailing tabs\t\t and it's, they're, we'll\r\n",
  'Ünïcödé, 中文, Ελληνικά, עברית, emoji 🦊👩‍👩‍👧 and flags 🇫🇷, numbers 1234567890',
  '\u0000\u0007 control bytes, a lone surrogate-free\u{10FFFF} and an NBSP\u00a0here',
  '',
];

describe('the embedded model tokenizer (public/models/gora-tiny)', () => {
  const tokenizer = Tokenizer.fromJSON(json('tokenizer.json'), json('tokenizer_config.json'));

  it('loads with its vocabulary size and the special tokens at ids 0-2', () => {
    expect(tokenizer.vocabSize).toBe(VOCAB_SIZE);
    expect(tokenizer.tokenToId('<|endoftext|>')).toBe(0);
    expect(tokenizer.tokenToId('<|im_start|>')).toBe(1);
    expect(tokenizer.tokenToId('<|im_end|>')).toBe(2);
    expect([tokenizer.bosTokenId, tokenizer.eosTokenId, tokenizer.padTokenId]).toEqual([0, 0, 0]);
  });

  it('has every byte as a token, so no text is unknown', () => {
    const vocab = (json('tokenizer.json').model as { vocab: Record<string, number> }).vocab;
    const ids = Object.values(vocab).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: VOCAB_SIZE }, (_, i) => i));
    // "Ā" is GPT-2's character for byte 0x00, "ÿ" for 0xFF: ids 3 and 258 follow the special tokens.
    expect([vocab['Ā'], vocab['ÿ']]).toEqual([3, 258]);
  });

  it('encodes special tokens whole and adds none of its own', () => {
    const ids = tokenizer.encode('<|im_start|>user\nhi<|im_end|>');
    expect(ids[0]).toBe(1);
    expect(ids.at(-1)).toBe(2);
    expect(tokenizer.encode('one<|endoftext|>two')).toContain(0);
    expect(tokenizer.encode('a', { addSpecialTokens: true })).toEqual(tokenizer.encode('a', { addSpecialTokens: false }));
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('user\nhi');
  });

  it('renders ChatML conversations', () => {
    const text = tokenizer.applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
    expect(text).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  });

  it('round-trips text exactly, non-ASCII and emoji included', () => {
    for (const text of TEXTS) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('round-trips any Unicode text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 30 }), (graphemes, codePoints) => {
        for (const text of [graphemes, codePoints, `${graphemes} ${codePoints}`]) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes English prose to markedly fewer tokens than bytes', () => {
    // Review sentences: English the tokenizer was not trained on.
    const lines = readFileSync(join(DATASETS, 'sentiment.jsonl'), 'utf8').trim().split('\n');
    const text = lines.map((line) => (JSON.parse(line) as { prompt: string }).prompt.slice('Review: '.length, -'\nSentiment:'.length)).join(' ');
    const bytes = Buffer.byteLength(text, 'utf8');
    const tokens = tokenizer.encode(text).length;
    const ratio = bytes / tokens;
    console.log(`review sentences: ${bytes} bytes -> ${tokens} tokens, ${ratio.toFixed(2)} bytes per token`);
    expect(ratio).toBeGreaterThan(2.3);
  });
});
