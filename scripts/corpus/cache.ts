// Where the built corpus lives: several megabytes that any machine rebuilds in seconds from the
// installed packages, so it is cached under node_modules/ (ignored by version control, and dropped
// with the packages it was built from) rather than committed.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { joinDocuments, loadDocuments, packageVersion, SOURCES, splitHeldOut, type Document } from './sources';

export const DEFAULT_CORPUS_DIR = join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'gora-corpus');
export const TRAIN_FILE = 'train.txt';
export const HELD_OUT_FILE = 'heldout.txt';
export const MANIFEST_FILE = 'manifest.json';

/** Share of each source's characters held out, and the seed that picks the documents. */
export const HELD_OUT_FRACTION = 0.02;
export const SPLIT_SEED = 20250101;

interface PartSummary {
  file: string;
  documents: number;
  characters: number;
  utf8Bytes: number;
  sha256: string;
}

export interface CorpusManifest {
  sources: Array<{ name: string; title: string; npmPackage: string; version: string; licence: string; documents: number; characters: number }>;
  heldOutFraction: number;
  splitSeed: number;
  train: PartSummary;
  heldOut: PartSummary & { ids: string[] };
}

function summary(file: string, documents: readonly Document[], text: string): PartSummary {
  const bytes = Buffer.from(text, 'utf8');
  return { file, documents: documents.length, characters: text.length, utf8Bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Builds the corpus from the installed packages and writes it, with its manifest, into `dir`. */
export function buildCorpus(dir: string = DEFAULT_CORPUS_DIR): CorpusManifest {
  const documents = loadDocuments();
  const { train, heldOut } = splitHeldOut(documents, HELD_OUT_FRACTION, SPLIT_SEED);
  const trainText = joinDocuments(train);
  const heldOutText = joinDocuments(heldOut);
  const manifest: CorpusManifest = {
    sources: SOURCES.map((s) => {
      const docs = documents.filter((d) => d.source === s.name);
      return { ...s, version: packageVersion(s.npmPackage), documents: docs.length, characters: docs.reduce((sum, d) => sum + d.text.length, 0) };
    }),
    heldOutFraction: HELD_OUT_FRACTION,
    splitSeed: SPLIT_SEED,
    train: summary(TRAIN_FILE, train, trainText),
    heldOut: { ...summary(HELD_OUT_FILE, heldOut, heldOutText), ids: heldOut.map((d) => d.id).sort() },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, TRAIN_FILE), trainText);
  writeFileSync(join(dir, HELD_OUT_FILE), heldOutText);
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
