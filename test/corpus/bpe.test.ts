import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../../src/model/tokenizer';
import { countPretokens, trainBpe } from '../../scripts/corpus/bpe';
import { pretokenize, SPECIAL_TOKENS } from '../../scripts/corpus/byte-level';
import { joinDocuments, loadDocuments, splitHeldOut, TOKENIZER_SOURCES } from '../../scripts/corpus/sources';
import { HELD_OUT_FRACTION, SPLIT_SEED } from '../../scripts/corpus/cache';
import { buildTokenizerFiles, serialise, tokenizerConfig, tokenizerJson } from '../../scripts/corpus/tokenizer-files';

const MODEL = join(import.meta.dirname, '..', '..', 'public', 'models', 'gora-tiny');

/** The textbook loop: re-count every pair of every word after each merge. Slow, plainly right. */
function naiveMerges(text: string, merges: number): Array<[string, string]> {
  const counts = countPretokens(text);
  const words = [...counts.keys()].map((w) => ({ symbols: [...pretokenize(w)[0]], count: counts.get(w) ?? 0 }));
  const out: Array<[string, string]> = [];
  while (out.length < merges) {
    const pairs = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = JSON.stringify([symbols[i], symbols[i + 1]]);
        pairs.set(key, (pairs.get(key) ?? 0) + count);
      }
    }
    if (pairs.size === 0) break;
    const ranked = [...pairs.entries()].map(([key, c]) => [JSON.parse(key) as [string, string], c] as const);
    ranked.sort(([p, c], [q, d]) => d - c || (p[0] !== q[0] ? (p[0] < q[0] ? -1 : 1) : p[1] < q[1] ? -1 : p[1] > q[1] ? 1 : 0));
    const [left, right] = ranked[0][0];
    out.push([left, right]);
    for (const word of words) {
      const merged: string[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (i + 1 < word.symbols.length && word.symbols[i] === left && word.symbols[i + 1] === right) merged.push(left + right), i++;
        else merged.push(word.symbols[i]);
      }
      word.symbols = merged;
    }
  }
  return out;
}

const TEXT =
  'The whale, the whale! Call me Ishmael. Thar she blows -- a hump like a snow-hill! It is Moby Dick! ' +
  "Aye, aye, it's the white whale; there's the thing, the whole thing, 1851 and 1852 and 2020. " +
  'Fellow citizens, the state of the Union is strong, stronger than the states were. aaaa aaa aa llll, éé été 🐋🐋.';

describe('trainBpe', () => {
  it('learns the same merges as the textbook loop, ties broken by the pair text', () => {
    const merges = 120;
    const trained = trainBpe(countPretokens(TEXT), SPECIAL_TOKENS.length + 256 + merges);
    expect(trained.merges).toEqual(naiveMerges(TEXT, merges));
  });

  it('lays out special tokens, bytes, then merged tokens, and stops when nothing is left to merge', () => {
    const { tokens, merges } = trainBpe(countPretokens('ab ab ab'), 10_000);
    expect(tokens.slice(0, 3)).toEqual([...SPECIAL_TOKENS]);
    expect(tokens.length).toBe(3 + 256 + merges.length);
    expect(merges).toEqual([['a', 'b'], ['Ġ', 'ab']]);
  });

  it('gives a tokenizer whose encoding is the segmentation it learned', () => {
    const trained = trainBpe(countPretokens(TEXT), SPECIAL_TOKENS.length + 256 + 80);
    const tokenizer = Tokenizer.fromJSON(tokenizerJson(trained), tokenizerConfig(64));
    expect(tokenizer.encode(' the whale').map((id) => tokenizer.idToToken(id))).toEqual(['Ġthe', 'Ġwhale']);
    expect(tokenizer.decode(tokenizer.encode(TEXT))).toBe(TEXT);
  });
});

describe('the committed tokenizer', () => {
  it('is what scripts/build-tokenizer.ts trains from the corpus, byte for byte', () => {
    const { train } = splitHeldOut(loadDocuments(TOKENIZER_SOURCES), HELD_OUT_FRACTION, SPLIT_SEED);
    const files = buildTokenizerFiles(joinDocuments(train));
    expect(serialise(files.tokenizerJson)).toBe(readFileSync(join(MODEL, 'tokenizer.json'), 'utf8'));
    expect(serialise(files.tokenizerConfig)).toBe(readFileSync(join(MODEL, 'tokenizer_config.json'), 'utf8'));
  });
});
