// Trains the embedded model's byte-level BPE tokenizer on the training part of its sources
// (TOKENIZER_SOURCES in scripts/corpus/sources.ts; never the held-out part) and writes tokenizer.json and tokenizer_config.json into public/models/gora-tiny/.
// The vocabulary size is the tokenizer's own: the model build reads it from tokenizer.json.
// Deterministic: the same corpus gives the same files byte for byte.
//
//   npx tsx scripts/build-tokenizer.ts

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '../src/model/tokenizer';
import { SPECIAL_TOKENS } from './corpus/byte-level';
import { HELD_OUT_FRACTION, SPLIT_SEED } from './corpus/cache';
import { joinDocuments, loadDocuments, splitHeldOut, TOKENIZER_SOURCES } from './corpus/sources';
import { buildTokenizerFiles, serialise } from './corpus/tokenizer-files';

const OUT = join(import.meta.dirname, '..', 'public', 'models', 'gora-tiny');

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

let started = performance.now();
const corpus = splitHeldOut(loadDocuments(TOKENIZER_SOURCES), HELD_OUT_FRACTION, SPLIT_SEED);
const trainText = joinDocuments(corpus.train);
console.log(`corpus (${TOKENIZER_SOURCES.join(', ')}): ${trainText.length.toLocaleString('en')} training characters (${seconds(started)} s)`);

started = performance.now();
const files = buildTokenizerFiles(trainText);
console.log(`trained on ${files.pretokens.toLocaleString('en')} distinct pre-tokens: ${files.bpe.tokens.length} tokens, ${files.bpe.merges.length} merges (${seconds(started)} s)`);
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'tokenizer.json'), serialise(files.tokenizerJson));
writeFileSync(join(OUT, 'tokenizer_config.json'), serialise(files.tokenizerConfig));

// Check the files as the app will load them, on text the tokenizer never saw.
const tokenizer = Tokenizer.fromJSON(files.tokenizerJson, files.tokenizerConfig);
started = performance.now();
let tokens = 0;
let bytes = 0;
for (const { text: document } of corpus.heldOut) {
  const ids = tokenizer.encode(document);
  if (tokenizer.decode(ids) !== document) throw new Error('a held-out document does not round-trip');
  tokens += ids.length;
  bytes += Buffer.byteLength(document, 'utf8');
}
const specials = SPECIAL_TOKENS.map((t) => `${t}=${tokenizer.tokenToId(t)}`).join(' ');
console.log(`held out: ${bytes.toLocaleString('en')} bytes -> ${tokens.toLocaleString('en')} tokens, ${(bytes / tokens).toFixed(2)} bytes per token (${seconds(started)} s)`);
console.log(`vocab size ${tokenizer.vocabSize}, ${specials}; written to ${OUT}`);
