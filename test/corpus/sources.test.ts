import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detokenise } from '../../scripts/corpus/brown';
import { trainingReviews } from '../../scripts/corpus/reviews';
import { wordnetEntry } from '../../scripts/corpus/wordnet';
import { END_OF_TEXT } from '../../scripts/corpus/byte-level';
import { HELD_OUT_FRACTION, SPLIT_SEED } from '../../scripts/corpus/cache';
import { joinDocuments, loadDocuments, normaliseText, splitDocuments, splitHeldOut, SOURCES } from '../../scripts/corpus/sources';

describe('normaliseText', () => {
  it('spells typographic punctuation in ASCII and keeps other characters', () => {
    expect(normaliseText('“Ahab’s ago—never…” – café, Ελληνικά')).toBe('"Ahab\'s ago--never..." - café, Ελληνικά');
  });

  it('makes each paragraph one line and separates paragraphs by one blank line', () => {
    expect(normaliseText('  one\nparagraph\t here \r\n\r\n\n\n two\u00a0\u0002 \n\n')).toBe('one paragraph here\n\ntwo');
  });

  it('composes characters (NFC)', () => {
    expect(normaliseText('cafe\u0301')).toBe('caf\u00e9');
  });
});

describe('the corpus', () => {
  const documents = loadDocuments();
  const split = splitHeldOut(documents, HELD_OUT_FRACTION, SPLIT_SEED);
  const chars = (docs: ReadonlyArray<{ text: string }>) => docs.reduce((sum, d) => sum + d.text.length, 0);

  it('holds every source, in normalised text with unique ids', () => {
    expect(new Set(documents.map((d) => d.source))).toEqual(new Set(SOURCES.map((s) => s.name)));
    expect(new Set(documents.map((d) => d.id)).size).toBe(documents.length);
    expect(chars(documents)).toBeGreaterThan(20_000_000);
    for (const d of documents) expect(normaliseText(d.text)).toBe(d.text);
    expect(documents.find((d) => d.id === 'moby-dick/1')?.text.startsWith('CHAPTER 1. Loomings.\n\nCall me Ishmael.')).toBe(true);
  });

  it('holds out about 2 % of each source as whole documents, the same ones every time', () => {
    const again = splitHeldOut(loadDocuments(), HELD_OUT_FRACTION, SPLIT_SEED);
    expect(again.heldOut.map((d) => d.id)).toEqual(split.heldOut.map((d) => d.id));
    expect(again.train.map((d) => d.id)).toEqual(split.train.map((d) => d.id));
    const held = new Set(split.heldOut.map((d) => d.id));
    expect(split.train.some((d) => held.has(d.id))).toBe(false);
    // Every other document trains, as many times as its source repeats.
    const repeats = new Map(SOURCES.map((s) => [s.name, s.repeats]));
    expect(split.train.length).toBe(documents.filter((d) => !held.has(d.id)).reduce((sum, d) => sum + repeats.get(d.source)!, 0));
    expect(new Set(split.train.map((d) => d.id)).size + held.size).toBe(documents.length);
    for (const { name } of SOURCES) {
      const share = chars(split.heldOut.filter((d) => d.source === name)) / chars(documents.filter((d) => d.source === name));
      expect(share).toBeGreaterThanOrEqual(HELD_OUT_FRACTION);
      expect(share).toBeLessThan(1.5 * HELD_OUT_FRACTION);
    }
  });

  it('separates documents with the end-of-text token, and splits back into them', () => {
    const text = joinDocuments(split.heldOut);
    expect(text.endsWith(END_OF_TEXT)).toBe(true);
    expect(splitDocuments(text)).toEqual(split.heldOut.map((d) => d.text));
  });
});

describe('the sources added to the built-in model corpus', () => {
  it('reads the Brown Corpus as running text without its tags', () => {
    expect(detokenise("The/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, do/do n't/* (/( over/rb )/) ./.")).toBe('The jury said "no evidence", don\'t (over).');
  });

  it('writes a WordNet synset as a dictionary entry and skips the licence header', () => {
    const line = "00002098 00 a 01 unable 0 002 = 05207437 n 0000 ! 00001740 a 0101 | (usually followed by `to') not having the necessary means; \"unable to get to town\"  ";
    expect(wordnetEntry(line, 'adj.')).toBe("unable (adj.): (usually followed by `to') not having the necessary means; \"unable to get to town\"");
    expect(wordnetEntry('00001740 00 a 02 able 0 galore(ip) 0 000 | plenty', 'adj.')).toBe('able, galore (adj.): plenty');
    expect(wordnetEntry('  1 This software and database is being provided', 'adj.')).toBeNull();
  });

  it("takes the sentiment sample's training reviews only, never a validation or test sentence", () => {
    const reviews = new Set(trainingReviews());
    const rows = readFileSync(join(import.meta.dirname, '..', '..', 'public', 'datasets', 'sentiment.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string; split: string });
    const sentence = (prompt: string) => prompt.slice('Review: '.length, -'\nSentiment:'.length);
    expect(reviews.size).toBe(rows.filter((r) => r.split === 'train').length);
    for (const row of rows) expect(reviews.has(sentence(row.prompt))).toBe(row.split === 'train');
  });
});
