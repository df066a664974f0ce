import { describe, expect, it } from 'vitest';
import { prepareDataset, type PrepareOptions } from '../../src/data/prepare';
import { dataError, fixtureTokenizer } from './helpers';

const OPTIONS: PrepareOptions = { seqLen: 64, batchSize: 4, seed: 1, valFraction: 0.2 };
const SPLITS = ['train', 'train', 'validation', 'test', 'train', 'val', 'TEST', 'dev', 'train', 'training'];

function records(split: (i: number) => unknown): object[] {
  return SPLITS.map((_, i) => ({ prompt: `Review ${i}: fine. Sentiment:`, completion: i % 2 ? ' good' : ' bad', ...(split(i) === undefined ? {} : { split: split(i) }) }));
}

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n');
const csv = (rows: Array<Record<string, unknown>>) => ['prompt,completion,split', ...rows.map((r) => `"${r.prompt}","${r.completion}",${r.split}`)].join('\n');

describe('splits named by the data', () => {
  it('puts each record in the split it names, whatever the seed and share', async () => {
    const tokenizer = await fixtureTokenizer();
    const text = jsonl(records((i) => SPLITS[i]));
    for (const seed of [0, 1, 7]) {
      const data = prepareDataset(text, 'named.jsonl', tokenizer, { ...OPTIONS, seed, valFraction: 0.5 });
      expect(data.stats).toMatchObject({ splitFrom: 'file', trainExamples: 5, valExamples: 3, testExamples: 2, testRows: 2 });
      expect(data.valExamples.map((e) => e.line)).toEqual([3, 6, 8]);
      expect(data.testExamples.map((e) => e.line)).toEqual([4, 7]);
      expect(data.test).toHaveLength(2);
    }
  });

  it('reads a CSV column named split', async () => {
    const tokenizer = await fixtureTokenizer();
    const data = prepareDataset(csv(records((i) => SPLITS[i]) as Array<Record<string, unknown>>), 'named.csv', tokenizer, OPTIONS);
    expect(data.stats).toMatchObject({ splitFrom: 'file', trainExamples: 5, valExamples: 3, testExamples: 2 });
  });

  it('draws the validation split by the seed when no record names one', async () => {
    const tokenizer = await fixtureTokenizer();
    const data = prepareDataset(jsonl(records(() => undefined)), 'plain.jsonl', tokenizer, OPTIONS);
    expect(data.stats).toMatchObject({ splitFrom: 'seed', trainExamples: 8, valExamples: 2, testExamples: 0 });
  });

  it('refuses a mix of named and unnamed splits, an unknown name and a file with no training split', async () => {
    const tokenizer = await fixtureTokenizer();
    const prepare = (rows: object[]) => () => prepareDataset(jsonl(rows), 'bad.jsonl', tokenizer, OPTIONS);
    expect(dataError(prepare(records((i) => (i === 4 ? undefined : SPLITS[i]))))).toMatchObject({ line: 5 });
    expect(dataError(prepare(records((i) => (i === 4 ? undefined : SPLITS[i])))).message).toMatch(/has no "split" while 9 other records name theirs/);
    expect(dataError(prepare(records((i) => (i === 2 ? 'holdout' : SPLITS[i])))).message).toMatch(/line 3: "split" is "holdout": use "train", "validation" or "test"/);
    expect(dataError(prepare(records((i) => (i === 2 ? 3 : SPLITS[i])))).message).toMatch(/"split" is 3/);
    expect(dataError(prepare(records(() => 'test'))).message).toMatch(/no usable record with "split": "train"/);
  });
});

describe('public/datasets/sentiment.jsonl', () => {
  it('names a fixed, balanced train / validation / test split', async () => {
    const { readFileSync } = await import('node:fs');
    const rows = readFileSync(new URL('../../public/datasets/sentiment.jsonl', import.meta.url), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { completion: string; split: string });
    const count = (split: string, completion: string) => rows.filter((r) => r.split === split && r.completion === completion).length;
    for (const label of [' positive', ' negative']) expect([count('train', label), count('validation', label), count('test', label)]).toEqual([1067, 134, 134]);
  });
});
