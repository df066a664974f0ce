// The app's sample datasets as the text of their files, built with fixed seeds, so the build script
// and the tests produce the same bytes. Examples are sized with the embedded model's tokenizer
// (public/models/gora-tiny, built first), exactly as the data pipeline will tokenise them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenizeExample, tokenPlan } from '../../src/data/tokenize';
import { Tokenizer } from '../../src/model/tokenizer';
import { buildArithmetic, type ArithmeticExample } from './arithmetic';
import { buildSentiment, type SentimentBuild } from './sentiment';

const MODEL = join(import.meta.dirname, '..', '..', 'public', 'models', 'gora-tiny');
/** The app's default sequence length: every sample example fits it whole, completion and EOS included. */
export const SAMPLE_SEQ_LEN = 64;

export const SENTIMENT_SEED = 1;
export const ARITHMETIC_SEED = 2;
export const ARITHMETIC_COUNT = 2000;

/** JSON Lines with keys in a fixed order (and `split` only where a record has one), so the files diff cleanly when a source changes. */
export function toJsonl(records: ReadonlyArray<{ prompt: string; completion: string; split?: string }>): string {
  return records.map((r) => JSON.stringify({ prompt: r.prompt, completion: r.completion, ...(r.split === undefined ? {} : { split: r.split }) })).join('\n') + '\n';
}

export interface SampleDatasets {
  sentiment: SentimentBuild;
  arithmetic: ArithmeticExample[];
  /** File name in public/datasets/ to its contents. */
  files: Record<'sentiment.jsonl' | 'arithmetic.jsonl' | 'sentiment-t5.jsonl', string>;
}

export function embeddedTokenizer(): Tokenizer {
  const json = (file: string) => JSON.parse(readFileSync(join(MODEL, file), 'utf8')) as unknown;
  return Tokenizer.fromJSON(json('tokenizer.json'), json('tokenizer_config.json'));
}

export function buildSampleDatasets(): SampleDatasets {
  const tokenizer = embeddedTokenizer();
  const plan = tokenPlan(tokenizer);
  const fits = (example: { prompt: string; completion: string }) => tokenizeExample(example, tokenizer, plan).ids.length <= SAMPLE_SEQ_LEN;
  const sentiment = buildSentiment(SENTIMENT_SEED, fits);
  const arithmetic = buildArithmetic(ARITHMETIC_COUNT, ARITHMETIC_SEED);
  const tooLong = arithmetic.filter((e) => !fits(e));
  if (tooLong.length > 0) throw new Error(`${tooLong.length} arithmetic problems exceed ${SAMPLE_SEQ_LEN} tokens, e.g. ${tooLong[0].prompt}`);
  return {
    sentiment,
    arithmetic,
    files: { 'sentiment.jsonl': toJsonl(sentiment.examples), 'arithmetic.jsonl': toJsonl(arithmetic), 'sentiment-t5.jsonl': toJsonl(sentiment.examples.map(asT5Task)) },
  };
}

/**
 * The same example in T5's text-to-text form for GLUE's SST-2, as T5 was trained on it:
 * `sst2 sentence: <the sentence>` → `positive` / `negative`.
 */
export function asT5Task(example: { prompt: string; completion: string; split?: string }): { prompt: string; completion: string; split?: string } {
  const sentence = example.prompt.replace(/^Review: /, '').replace(/\nSentiment:$/, '');
  return { prompt: `sst2 sentence: ${sentence}`, completion: example.completion.trim(), split: example.split };
}
