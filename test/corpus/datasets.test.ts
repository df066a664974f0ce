import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareDataset } from '../../src/data/prepare';
import { Tokenizer } from '../../src/model/tokenizer';
import { buildSampleDatasets } from '../../scripts/corpus/samples';
import { cleanSentence, MAX_SENTENCE_CHARS } from '../../scripts/corpus/sentiment';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const json = (path: string) => JSON.parse(read(path)) as Record<string, unknown>;

const tokenizer = Tokenizer.fromJSON(json('public/models/gora-tiny/tokenizer.json'), json('public/models/gora-tiny/tokenizer_config.json'));
const OPTIONS = { seqLen: 128, batchSize: 8, seed: 1 };
/** The app's default; the samples are built to fit it whole. */
const DEFAULT_SEQ_LEN = 64;

interface Row {
  prompt: string;
  completion: string;
}

function records(file: string): Row[] {
  return read(`public/datasets/${file}`)
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Row);
}

/** Each template's question, and how its answer follows from the numbers in it. */
const PROBLEMS: ReadonlyArray<[RegExp, (n: number[]) => number]> = [
  [/^(\w+) has (\d+) (\w+) and buys (\d+) more\. How many \3 does \1 have\?$/, ([x, y]) => x + y],
  [/^(\w+) has (\d+) (\w+) and gives (\d+) to (?!\1\b)\w+\. How many \3 does \1 have left\?$/, ([x, y]) => x - y],
  [/^(\w+) has (\d+) (\w+) and (?!\1\b)\w+ has (\d+) \3\. How many \3 do they have together\?$/, ([x, y]) => x + y],
  [/^(\w+) has (\d+) (\w+) and (\w+) has (\d+) \3\. How many more \3 does \1 have than \4\?$/, ([x, y]) => x - y],
  [/^(\w+) has (\d+) bags with (\d+) (\w+) in each bag\. How many \4 does \1 have\?$/, ([x, y]) => x * y],
  [/^\w+ shares (\d+) (\w+) equally among (\d+) friends\. How many \2 does each friend get\?$/, ([x, y]) => x / y],
  [/^(\w+) has (\d+) (\w+), loses (\d+), and then finds (\d+) more\. How many \3 does \1 have now\?$/, ([x, y, z]) => x - y + z],
];

function solve(question: string): number | null {
  for (const [pattern, answer] of PROBLEMS) {
    const match = pattern.exec(question);
    if (match) return answer(match.slice(1).filter((g) => /^\d+$/.test(g)).map(Number));
  }
  return null;
}

describe('public/datasets/sentiment.jsonl', () => {
  const rows = records('sentiment.jsonl');

  it('prepares whole at sequence lengths of 128 and 64, with the two labels detected and balanced', () => {
    const short = prepareDataset(read('public/datasets/sentiment.jsonl'), 'sentiment.jsonl', tokenizer, { ...OPTIONS, seqLen: DEFAULT_SEQ_LEN });
    expect(short.stats).toMatchObject({ examples: rows.length, truncated: 0, dropped: 0, empty: 0 });
    const data = prepareDataset(read('public/datasets/sentiment.jsonl'), 'sentiment.jsonl', tokenizer, OPTIONS);
    expect(data.stats).toMatchObject({ format: 'jsonl', examples: rows.length, truncated: 0, dropped: 0, empty: 0 });
    expect(data.labels).not.toBeNull();
    expect([...(data.labels?.labels ?? [])].sort()).toEqual([' negative', ' positive']);
    const [a, b] = data.labels?.counts ?? [];
    expect(Math.abs(a - b) / Math.max(a, b)).toBeLessThanOrEqual(0.1);
    const longest = Math.max(...data.train.concat(data.val).map((row) => row.ids.length));
    expect(longest).toBeLessThanOrEqual(DEFAULT_SEQ_LEN);
    console.log(`sentiment: ${rows.length} examples, labels ${data.labels?.labels.map((l, i) => `"${l}" ${data.labels?.counts[i]}`).join(', ')}, longest ${longest} tokens`);
  });

  it('holds each cleaned, short review sentence once, in the prompt format', () => {
    const sentences = rows.map((r) => /^Review: (.+)\nSentiment:$/.exec(r.prompt)?.[1] ?? '');
    for (const s of sentences) {
      expect(s.length).toBeGreaterThan(0);
      expect(s.length).toBeLessThanOrEqual(MAX_SENTENCE_CHARS);
      expect(cleanSentence(s)).toBe(s);
    }
    expect(new Set(sentences.map((s) => s.toLowerCase())).size).toBe(sentences.length);
    expect(rows.length).toBeGreaterThan(2000);
    expect(rows.length).toBeLessThan(5000);
  });
});

describe('public/datasets/arithmetic.jsonl', () => {
  const rows = records('arithmetic.jsonl');

  it('prepares whole at sequence lengths of 128 and 64', () => {
    for (const seqLen of [OPTIONS.seqLen, DEFAULT_SEQ_LEN]) {
      const data = prepareDataset(read('public/datasets/arithmetic.jsonl'), 'arithmetic.jsonl', tokenizer, { ...OPTIONS, seqLen });
      expect(data.stats).toMatchObject({ format: 'jsonl', examples: 2000, truncated: 0, dropped: 0, empty: 0 });
      expect(data.labels).toBeNull();
    }
  });

  it('answers every question correctly, each question once, every template used', () => {
    const used = new Set<number>();
    for (const { prompt, completion } of rows) {
      const question = /^Question: (.+)\nAnswer:$/.exec(prompt)?.[1] ?? '';
      const expected = solve(question);
      expect(expected, question).not.toBeNull();
      expect(Number.isInteger(expected) && (expected ?? -1) >= 0, question).toBe(true);
      expect(completion, question).toBe(` ${expected}`);
      used.add(PROBLEMS.findIndex(([pattern]) => pattern.test(question)));
    }
    expect(used.size).toBe(PROBLEMS.length);
    expect(new Set(rows.map((r) => r.prompt)).size).toBe(rows.length);
  });
});

describe('the sample datasets', () => {
  it('are what scripts/build-datasets.ts writes, byte for byte', () => {
    const { files } = buildSampleDatasets();
    for (const [name, text] of Object.entries(files)) expect(text, name).toBe(read(`public/datasets/${name}`));
  });
});
