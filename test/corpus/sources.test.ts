import { describe, expect, it } from 'vitest';
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

  it('holds both sources, in normalised text with unique ids', () => {
    expect(new Set(documents.map((d) => d.source))).toEqual(new Set(SOURCES.map((s) => s.name)));
    expect(new Set(documents.map((d) => d.id)).size).toBe(documents.length);
    expect(chars(documents)).toBeGreaterThan(10_000_000);
    for (const d of documents) expect(normaliseText(d.text)).toBe(d.text);
    expect(documents.find((d) => d.id === 'moby-dick/1')?.text.startsWith('CHAPTER 1. Loomings.\n\nCall me Ishmael.')).toBe(true);
  });

  it('holds out about 2 % of each source as whole documents, the same ones every time', () => {
    const again = splitHeldOut(loadDocuments(), HELD_OUT_FRACTION, SPLIT_SEED);
    expect(again.heldOut.map((d) => d.id)).toEqual(split.heldOut.map((d) => d.id));
    expect(again.train.map((d) => d.id)).toEqual(split.train.map((d) => d.id));
    expect(split.train.length + split.heldOut.length).toBe(documents.length);
    const held = new Set(split.heldOut.map((d) => d.id));
    expect(split.train.some((d) => held.has(d.id))).toBe(false);
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
