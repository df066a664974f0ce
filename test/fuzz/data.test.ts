// Fuzzing every dataset parser (JSON Lines and JSON arrays, CSV, TSV, plain text) and the whole
// pipeline (prepareDataset with the fixture tokenizer) on random text and on valid samples that are
// mutated: bytes damaged and decoded as a browser would (invalid UTF-8 becomes U+FFFD), quoting and
// line endings broken, records given fields of the wrong type, nesting bombs, lone surrogates.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors';
import { parseDataset } from '../../src/data/parse';
import { prepareDataset } from '../../src/data/prepare';
import type { Tokenizer } from '../../src/model/tokenizer';
import { fixtureTokenizer } from '../data/helpers';
import { RUNS, Tally } from './harness';
import { mutateBytes, mutateJson } from './mutate';

const SENTIMENT = readFileSync(join(import.meta.dirname, '..', 'datasets', 'sentiment.jsonl'), 'utf8').split('\n').slice(0, 6);

const RECORDS: object[] = [
  ...SENTIMENT.filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as object),
  { text: 'A plain text example.\nWith two lines.' },
  { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Capital of France?' }, { role: 'assistant', content: 'Paris' }] },
  { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }] },
];

const SAMPLES = {
  jsonl: RECORDS.map((r) => JSON.stringify(r)).join('\n'),
  json: JSON.stringify(RECORDS.slice(0, 6)),
  csv: 'prompt,completion\r\n"Review: good, really ""good""",positive\r\n"multi\nline",negative\r\nplain,positive\r\n',
  tsv: 'text\tlabel\n"quoted\tfield"\t1\nplain "inner" quote\t0\n\nlast\t1',
  text: 'First paragraph, line one.\nLine two.\n\nSecond paragraph.\r\n\r\n\r\nThird, after blank lines.\n',
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Fragments that matter to some parser: quotes, delimiters, every line ending, a BOM, lone surrogates, JSON openers. */
const FRAGMENTS = ['"', '""', ',', '\t', '\n', '\r\n', '\r', '\ufeff', '\ud800', '\udfff', '\u0000', '{', '}', '[', ']', '\\', ':', '{"messages":', '"prompt":', '{"text": 1}'];

// Nesting is kept to a thousand levels, past the parsers' cap: the whole pipeline is linear in
// its input, so a larger bomb would only test how fast this machine tokenises.
const fragmentEdit = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom(...FRAGMENTS), fc.integer({ min: 1, max: 4 })),
  fc.tuple(fc.nat(), fc.constantFrom('[', '{"a":', '[{"messages":'), fc.integer({ min: 1, max: 1000 })),
);

/** `base` damaged as bytes (then decoded leniently), then given one to three structural fragments. */
function mutateText(base: string): fc.Arbitrary<string> {
  return fc.tuple(fc.option(mutateBytes(encoder.encode(base), 4, false), { nil: null }), fc.array(fragmentEdit, { maxLength: 3 })).map(([bytes, edits]) => {
    let text = bytes === null ? base : decoder.decode(bytes);
    for (const [at, fragment, times] of edits) {
      const i = at % (text.length + 1);
      text = text.slice(0, i) + fragment.repeat(times) + text.slice(i);
    }
    return text;
  });
}

/** Text with no structure, and text drawn from the characters that make structure. */
const randomText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '\t', '"', '\n', '\r', '{', '}', '[', ']', ':', '1', '\\', '\ud800'), maxLength: 200 }),
);

/** JSON Lines whose records have fields removed, retyped or added. */
const mutatedRecords = fc
  .array(fc.oneof(fc.constantFrom(...RECORDS), fc.constantFrom(...RECORDS).chain((r) => mutateJson(r, 2))), { minLength: 1, maxLength: 8 })
  .map((records) => records.map((r) => JSON.stringify(r) ?? '').join('\n'));

function textFor(format: keyof typeof SAMPLES): fc.Arbitrary<string> {
  const sources = [mutateText(SAMPLES[format]), randomText];
  if (format === 'jsonl') sources.push(mutatedRecords, mutateText(SAMPLES.json));
  return fc.oneof(...sources);
}

let tokenizer: Tokenizer;

beforeAll(async () => {
  tokenizer = await fixtureTokenizer();
});

describe('dataset parsers under malformed input', () => {
  const parsers = [
    { format: 'jsonl', file: 'data.jsonl' },
    { format: 'csv', file: 'data.csv' },
    { format: 'tsv', file: 'data.tsv' },
    { format: 'text', file: 'notes.txt' },
  ] as const;

  it.each(parsers)('parseDataset ($format) ends every input in a DataError or examples', ({ format, file }) => {
    const tally = new Tally(`parseDataset ${format}`, [DataError]);
    // CSV and TSV may also be asked for columns, which the header may lack.
    const columns = fc.option(fc.constantFrom({ textColumn: 'text' }, { promptColumn: 'prompt', completionColumn: 'completion' }, { textColumn: 'missing' }), { nil: undefined });
    fc.assert(
      fc.property(textFor(format), columns, (text, chosen) =>
        tally.checkSync(() => {
          const { examples } = parseDataset(text, file, { chat: tokenizer, columns: format === 'csv' || format === 'tsv' ? chosen : undefined });
          for (const example of examples) expect(typeof ('text' in example ? example.text : example.prompt + example.completion)).toBe('string');
        }),
      ),
      { seed: 0xda7a + format.length, numRuns: RUNS },
    );
    console.log(tally.report());
    expect(tally.total).toBe(RUNS);
  });

  it('prepareDataset ends every input in a DataError or batches within the vocabulary', () => {
    const tally = new Tally('prepareDataset', [DataError]);
    // Mostly valid settings, so that most inputs reach tokenisation; now and then an invalid one.
    const mostly = <T>(valid: fc.Arbitrary<T>, ...invalid: T[]): fc.Arbitrary<T> =>
      fc.oneof({ arbitrary: valid, weight: 19 }, { arbitrary: fc.constantFrom(...invalid), weight: 1 });
    const input = fc.record({
      format: fc.constantFrom('jsonl', 'csv', 'tsv', 'text') as fc.Arbitrary<keyof typeof SAMPLES>,
      seqLen: mostly(fc.integer({ min: 2, max: 48 }), 0, 1, -3, 2.5, NaN),
      batchSize: mostly(fc.integer({ min: 1, max: 6 }), 0, -1, 1.5),
      seed: mostly(fc.integer(), NaN, 2 ** 60),
      valFraction: mostly(fc.double({ min: 0, max: 0.5, noNaN: true }), 1, -0.1, NaN),
      packing: fc.boolean(),
    });
    const withText = input.chain((options) => textFor(options.format).map((text) => ({ ...options, text })));
    fc.assert(
      fc.property(withText, ({ format, text, ...options }) =>
        tally.checkSync(() => {
          const data = prepareDataset(text, `data.${format === 'text' ? 'txt' : format}`, tokenizer, options);
          const batch = data.batchAt({ epoch: 0, index: 0 });
          expect(batch.inputIds.every((id) => id < tokenizer.vocabSize)).toBe(true);
          if (data.valBatchCount > 0) data.valBatchAt(0);
        }),
      ),
      { seed: 0x9e9, numRuns: RUNS },
    );
    console.log(tally.report());
    expect(tally.total).toBe(RUNS);
  });
});
