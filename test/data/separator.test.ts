import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gluedExcerpt, isGlued, joinExample, meetsWithoutSpace } from '../../src/data/separator';
import { prepareDataset, type PrepareOptions } from '../../src/data/prepare';
import { datasetWarnings } from '../../src/data/warnings';
import { dataError, fixtureTokenizer } from './helpers';

const OPTIONS: PrepareOptions = { seqLen: 64, batchSize: 2, seed: 0, valFraction: 0.25 };
const SUMS = 'question,answer\nWhat is 4 plus 4?,8\nWhat is 2 plus 3?,5\nWhat is 1 plus 1?,2\nWhat is 3 plus 3?,6\n';

describe('joinExample', () => {
  it('starts the completion with a space, or ends the prompt with a new line, where the two run together', () => {
    const example = { prompt: 'What is 4 plus 4?', completion: '8', line: 2 };
    expect(joinExample(example, 'space')).toEqual({ prompt: 'What is 4 plus 4?', completion: ' 8', line: 2 });
    expect(joinExample(example, 'newline')).toEqual({ prompt: 'What is 4 plus 4?\n', completion: '8', line: 2 });
    expect(joinExample(example, 'none')).toBe(example);
  });

  it('leaves data that carries its own whitespace, empty parts, texts and chat-template renderings as they are', () => {
    for (const separator of ['space', 'newline'] as const) {
      const own = [
        { prompt: 'Review: fine\nSentiment:', completion: ' positive' },
        { prompt: 'Answer: ', completion: '8' },
        { prompt: 'Q?\n', completion: '8' },
        { prompt: 'Q?', completion: '\t8' },
        { prompt: '', completion: '8' },
        { prompt: 'Q?', completion: '' },
        { prompt: '<|im_start|>assistant', completion: 'hi<|im_end|>', templated: true },
        { text: 'plain text' },
      ];
      for (const example of own) expect(joinExample(example, separator), JSON.stringify(example)).toBe(example);
    }
  });

  it('calls glued only a pair that still runs together', () => {
    expect(meetsWithoutSpace('Q?', '8')).toBe(true);
    expect(meetsWithoutSpace('Q?', ' 8')).toBe(false);
    expect(isGlued({ prompt: 'Q?', completion: '8' })).toBe(true);
    expect(isGlued(joinExample({ prompt: 'Q?', completion: '8' }, 'space'))).toBe(false);
    expect(isGlued({ prompt: 'Q?', completion: '8', templated: true })).toBe(false);
    expect(isGlued({ text: 'Q?8' })).toBe(false);
    expect(gluedExcerpt({ prompt: 'What is 4 plus 4?', completion: '8' })).toBe('…hat is 4 plus 4?8');
    expect(gluedExcerpt({ prompt: 'Q?', completion: 'a long answer that goes on' })).toBe('Q?a long answer th…');
  });
});

describe('prepareDataset with a separator', () => {
  it('puts a space before a CSV answer by default, so "What is 4 plus 4?8" is no longer one run of text', async () => {
    const tokenizer = await fixtureTokenizer();
    const byDefault = prepareDataset(SUMS, 'sums.csv', tokenizer, OPTIONS);
    const text = (data: typeof byDefault) => [...data.trainExamples, ...data.valExamples].map((e) => ('prompt' in e ? e.prompt + e.completion : e.text)).sort();
    expect(text(byDefault)).toEqual(['What is 1 plus 1? 2', 'What is 2 plus 3? 5', 'What is 3 plus 3? 6', 'What is 4 plus 4? 8']);
    expect(byDefault.labels).toBeNull();
    expect(byDefault.stats).toMatchObject({ glued: 0, gluedExample: null });
    // The space is the completion's: the loss counts it with the answer (one token, ` 8`).
    const first = byDefault.train[0];
    const cut = first.mask.indexOf(1);
    expect(tokenizer.decode(Array.from(first.ids.subarray(cut)), { skipSpecialTokens: true })).toMatch(/^ \d$/);

    const newline = prepareDataset(SUMS, 'sums.csv', tokenizer, { ...OPTIONS, separator: 'newline' });
    expect(text(newline)).toEqual(['What is 1 plus 1?\n2', 'What is 2 plus 3?\n5', 'What is 3 plus 3?\n6', 'What is 4 plus 4?\n8']);
    const row = newline.train[0];
    expect(tokenizer.decode(Array.from(row.ids.subarray(0, row.mask.indexOf(1))))).toMatch(/\?\n$/);

    const none = prepareDataset(SUMS, 'sums.csv', tokenizer, { ...OPTIONS, separator: 'none' });
    expect(text(none)).toEqual(['What is 1 plus 1?2', 'What is 2 plus 3?5', 'What is 3 plus 3?6', 'What is 4 plus 4?8']);
    expect(none.stats).toMatchObject({ glued: 4, gluedExample: '…hat is 4 plus 4?8' });
  });

  it('gives the samples, which carry their own space, the same tokens with every separator', async () => {
    const tokenizer = await fixtureTokenizer();
    const sample = readFileSync(join(import.meta.dirname, '..', '..', 'public', 'datasets', 'arithmetic.jsonl'), 'utf8').split('\n').slice(0, 40).join('\n');
    const ids = (separator: PrepareOptions['separator']) => prepareDataset(sample, 'arithmetic.jsonl', tokenizer, { ...OPTIONS, seqLen: 512, separator }).train.map((row) => Array.from(row.ids));
    const none = ids('none');
    expect(ids('space')).toEqual(none);
    expect(ids('newline')).toEqual(none);
    expect(ids(undefined)).toEqual(none);
  });

  it('refuses a separator it does not know', async () => {
    const error = dataError(() => prepareDataset(SUMS, 'sums.csv', { encode: () => [] } as never, { ...OPTIONS, separator: 'tab' as never }));
    expect(error.message).toBe('sums.csv: the separator "tab" is not valid: use one of space, newline, none');
  });

  it('warns, with an example, when prompt and completion run together', async () => {
    const tokenizer = await fixtureTokenizer();
    const none = prepareDataset(SUMS, 'sums.csv', tokenizer, { ...OPTIONS, separator: 'none' });
    expect(datasetWarnings(none.stats, 64)).toContain(
      'all 4 examples run prompt and completion together with nothing between them ("…hat is 4 plus 4?8"): the model learns them as one word; choose the separator space or newline',
    );
    const space = prepareDataset(SUMS, 'sums.csv', tokenizer, OPTIONS);
    expect(datasetWarnings(space.stats, 64).some((w) => w.includes('together'))).toBe(false);
  });
});
