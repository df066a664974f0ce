import { describe, expect, it } from 'vitest';
import { prepareDataset, type PrepareOptions } from '../../src/data/prepare';
import { baseModelTokenizer, dataError, fixtureTokenizer } from './helpers';

const OPTIONS: PrepareOptions = { seqLen: 16, batchSize: 4, seed: 1, valFraction: 0.2 };

function jsonl(records: object[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n');
}

const SENTIMENT = jsonl(
  Array.from({ length: 20 }, (_, i) => ({ prompt: `Review ${i}: the cat sat. Sentiment:`, completion: i % 3 === 0 ? ' bad' : ' good' })),
);

describe('prepareDataset', () => {
  it('parses, tokenises, splits and batches prompt/completion data', async () => {
    const tokenizer = await fixtureTokenizer();
    const data = prepareDataset(SENTIMENT, 'reviews.jsonl', tokenizer, { ...OPTIONS, seqLen: 64 });
    expect(data.stats).toMatchObject({ format: 'jsonl', examples: 20, truncated: 0, dropped: 0, trainExamples: 16, valExamples: 4, trainRows: 16, valRows: 4 });
    expect(data.batchesPerEpoch).toBe(4);
    expect(data.valBatchCount).toBe(1);
    const batch = data.batchAt({ epoch: 0, index: 0 });
    expect(batch.inputIds).toHaveLength(4 * 64);
    // Each row's targets are its completion tokens and EOS, nothing of the prompt.
    const expected = data.train.reduce((sum, row) => sum + row.mask.reduce((a, m) => a + m, 0), 0);
    expect(data.stats.trainTargets).toBe(expected);
    expect(data.valBatchAt(0).count).toBe(data.stats.valTargets);
    expect(data.labels).toEqual({
      labels: [' bad', ' good'],
      counts: [7, 13],
      tokens: [
        [...tokenizer.encode(' bad'), 0],
        [...tokenizer.encode(' good'), 0],
      ],
    });
  });

  it('gives the same split for the same seed and another split for another seed', async () => {
    const tokenizer = await fixtureTokenizer();
    const val = (seed: number) => prepareDataset(SENTIMENT, 'reviews.jsonl', tokenizer, { ...OPTIONS, seqLen: 64, seed }).valExamples;
    expect(val(5)).toEqual(val(5));
    expect(val(5)).not.toEqual(val(6));
  });

  it('packs text into rows of exactly T tokens', async () => {
    const tokenizer = await fixtureTokenizer();
    const paragraphs = ['The cat sat on the mat.', 'The dog ran after the cat.', 'A bird sang.', 'The end.'];
    const data = prepareDataset(paragraphs.join('\n\n'), 'story.txt', tokenizer, { seqLen: 8, batchSize: 2, seed: 3, valFraction: 0, packing: true });
    expect(data.stats).toMatchObject({ format: 'text', examples: 4, valExamples: 0 });
    expect(data.valBatchCount).toBe(0);
    // Every paragraph followed by EOS, in file order, cut every 8 tokens.
    const stream = paragraphs.flatMap((p) => [...tokenizer.encode(p), 0]);
    expect(data.train.flatMap((row) => [...row.ids])).toEqual(stream);
    data.train.slice(0, -1).forEach((row) => expect(row.ids.length).toBe(8));
    expect(data.train.every((row) => row.mask.every((m) => m === 1))).toBe(true);
    const rows = data.schedule.order(0).slice(0, 2).map((i) => data.train[i]);
    expect(data.batchAt({ epoch: 0, index: 0 }).count).toBe(rows.reduce((sum, row) => sum + row.ids.length - 1, 0));
  });

  it('trains a conversation on the reply and the end-of-turn marker only', async () => {
    const tokenizer = await fixtureTokenizer();
    const text = jsonl([{ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }] }]);
    const data = prepareDataset(text, 'chat.jsonl', tokenizer, { ...OPTIONS, seqLen: 64 });
    const prompt = tokenizer.encode('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
    const completion = [...tokenizer.encode('yo<|im_end|>\n'), 0];
    expect([...data.train[0].ids]).toEqual([...prompt, ...completion]);
    expect([...data.train[0].mask]).toEqual([...prompt.map(() => 0), ...completion.map(() => 1)]);
  });

  it('cuts long text paragraphs into windows without packing', async () => {
    const tokenizer = await fixtureTokenizer();
    const data = prepareDataset('The cat sat on the mat and the dog ran after the cat all day.', 'a.txt', tokenizer, { ...OPTIONS, seqLen: 6 });
    expect(data.stats.split).toBe(1);
    expect(data.train.every((row) => row.ids.length <= 6)).toBe(true);
    expect(data.labels).toBeNull();
  });

  it('truncates, and drops examples whose completion does not fit, reporting both', async () => {
    const tokenizer = await fixtureTokenizer();
    const text = jsonl([
      { prompt: 'The cat', completion: ' sat on the mat' },
      { prompt: 'The cat sat on the mat and then the dog', completion: ' ran' },
      { prompt: 'The', completion: ' cat' },
    ]);
    const data = prepareDataset(text, 'd.jsonl', tokenizer, { ...OPTIONS, seqLen: 4, valFraction: 0 });
    expect(data.stats).toMatchObject({ examples: 3, truncated: 1, dropped: 1, trainExamples: 2 });
    expect(data.trainExamples.map((e) => e.line)).toEqual([1, 3]);
  });
});

describe('prepareDataset refuses unusable data before any GPU work', () => {
  it('an empty file, or one with no examples', async () => {
    const tokenizer = await fixtureTokenizer();
    expect(dataError(() => prepareDataset('', 'd.jsonl', tokenizer, OPTIONS)).message).toBe('d.jsonl: is empty: choose a file with training examples');
    expect(dataError(() => prepareDataset(' \n\n ', 'd.txt', tokenizer, OPTIONS)).message).toMatch(/^d\.txt: is empty/);
    expect(dataError(() => prepareDataset('prompt,completion\n', 'd.csv', tokenizer, OPTIONS)).message).toBe(
      'd.csv: holds no examples (only blank lines or a header): add training examples',
    );
  });

  it('every example longer than the sequence length, saying how far to raise it', async () => {
    const tokenizer = await fixtureTokenizer();
    const text = jsonl(Array.from({ length: 3 }, (_, i) => ({ prompt: `The cat sat on the mat ${i}`, completion: ' ok' })));
    const shortest = tokenizer.encode('The cat sat on the mat 0').length;
    expect(dataError(() => prepareDataset(text, 'd.jsonl', tokenizer, { ...OPTIONS, seqLen: 4 })).message).toBe(
      `d.jsonl: all 3 examples are longer than the sequence length 4 (no completion token fits): raise the sequence length to at least ${shortest + 1}`,
    );
    expect(() => prepareDataset(text, 'd.jsonl', tokenizer, { ...OPTIONS, seqLen: shortest + 1 })).not.toThrow();
  });

  it('examples with nothing to learn, alone or with too-long ones', () => {
    const tokenizer = { ...baseModelTokenizerLike(), eosTokenId: null };
    expect(dataError(() => prepareDataset('{"text": ""}\n{"text": ""}', 'd.jsonl', tokenizer, OPTIONS)).message).toBe(
      'd.jsonl: none of the 2 examples has anything to learn (empty completions or texts): fix the data',
    );
    const mixed = jsonl([{ text: '' }, { prompt: 'The cat sat on the mat', completion: ' ok' }]);
    expect(dataError(() => prepareDataset(mixed, 'd.jsonl', tokenizer, { ...OPTIONS, seqLen: 3 })).message).toBe(
      'd.jsonl: no usable examples: 1 are longer than the sequence length 3 and 1 are empty: raise the sequence length or fix the data',
    );
  });

  it('conversations for a model without a chat template', () => {
    const text = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}';
    expect(dataError(() => prepareDataset(text, 'chat.jsonl', baseModelTokenizer(), OPTIONS)).message).toMatch(
      /^chat\.jsonl line 1: "messages" needs a chat template and this model has none/,
    );
  });

  it('a malformed line, with its number', async () => {
    const tokenizer = await fixtureTokenizer();
    const error = dataError(() => prepareDataset('{"text": "a"}\n{"text": "b"\n', 'd.jsonl', tokenizer, OPTIONS));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/^d\.jsonl line 2: invalid JSON \(.+\)$/);
  });

  it('options that cannot work', async () => {
    const tokenizer = await fixtureTokenizer();
    const text = '{"text": "a b c"}';
    expect(dataError(() => prepareDataset(text, 'd.jsonl', tokenizer, { ...OPTIONS, seqLen: 1 })).message).toBe(
      'd.jsonl: the sequence length 1 is too small: use a whole number of at least 2',
    );
    expect(dataError(() => prepareDataset(text, 'd.jsonl', tokenizer, { ...OPTIONS, batchSize: 0 })).message).toMatch(/the batch size 0 is not valid/);
    expect(dataError(() => prepareDataset(text, 'd.jsonl', tokenizer, { ...OPTIONS, valFraction: 1 })).message).toMatch(/the validation fraction 1 is not valid/);
    expect(dataError(() => prepareDataset(text, 'd.jsonl', tokenizer, { ...OPTIONS, seed: 0.5 })).message).toMatch(/the seed 0.5 is not valid/);
  });
});

/** The fixture tokenizer's fields as a plain object, so one can be overridden. */
function baseModelTokenizerLike() {
  const t = baseModelTokenizer();
  return {
    bosTokenId: t.bosTokenId,
    eosTokenId: t.eosTokenId,
    padTokenId: t.padTokenId,
    chatTemplate: t.chatTemplate,
    applyChatTemplate: t.applyChatTemplate.bind(t),
    encode: t.encode.bind(t),
  };
}
