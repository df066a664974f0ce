// Writes the app's sample datasets into public/datasets/ as JSON Lines of {"prompt","completion"}:
//
//   sentiment.jsonl   labelled review sentences from the `sentiment` package's fixtures (UCI, CC BY 4.0)
//   arithmetic.jsonl  generated arithmetic word problems
//
// Every example fits 64 tokens of the embedded model's tokenizer, so run scripts/build-tokenizer.ts
// first. Sources, licences and attribution are in public/datasets/README.md. Deterministic (fixed
// seeds): re-running reproduces the committed files byte for byte.
//
//   npx tsx scripts/build-datasets.ts

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSampleDatasets, SAMPLE_SEQ_LEN } from './corpus/samples';
import { MAX_SENTENCE_CHARS, POSITIVE } from './corpus/sentiment';

const OUT = join(import.meta.dirname, '..', 'public', 'datasets');

const { sentiment, arithmetic, files } = buildSampleDatasets();
mkdirSync(OUT, { recursive: true });
for (const [name, text] of Object.entries(files)) writeFileSync(join(OUT, name), text);

const positives = sentiment.examples.filter((e) => e.completion === POSITIVE).length;
console.log(
  `sentiment.jsonl: ${sentiment.examples.length} examples (${positives} positive, ${sentiment.examples.length - positives} negative) from ${sentiment.read} sentences; ` +
    `left out ${sentiment.tooLong} longer than ${MAX_SENTENCE_CHARS} characters, ${sentiment.duplicates} repeats, ${sentiment.conflicting} with both labels, ` +
    `${sentiment.tooManyTokens} longer than ${SAMPLE_SEQ_LEN} tokens, ${sentiment.balancedAway} to balance`,
);
console.log(`arithmetic.jsonl: ${arithmetic.length} examples`);
console.log(`written to ${OUT}`);
