// The caps that stand between an untrusted number and an allocation or a long loop: a file that
// claims to be enormous is refused before anything of that size is read; a layer count or a token
// id of 2^31 costs nothing until checked; and 10^8 levels of JSON nesting are refused after a few
// hundred characters instead of costing the parser seconds and gigabytes.

import { describe, expect, it } from 'vitest';
import { checkFileSize, DataError, MAX_FILE_BYTES } from '../../src/data/errors';
import { parseDataset } from '../../src/data/parse';
import { MAX_TEXT_BYTES, memoryFiles, readJsonFile, type ByteSource, type ModelFiles } from '../../src/model/bytes';
import { ModelFormatError } from '../../src/model/errors';
import { jsonTooDeepAt, MAX_JSON_DEPTH } from '../../src/model/json';
import { openModel } from '../../src/model/load';
import { loadTokenizer, Tokenizer } from '../../src/model/tokenizer';
import { fixtureFiles, fixtureJson, jsonBytes } from '../model/helpers';

const NESTING = 100_000_000;

/** A folder whose `name` claims `size` bytes and records every read it is asked for. */
function claimingFolder(name: string, size: number): { files: ModelFiles; reads: number[] } {
  const reads: number[] = [];
  const source: ByteSource = {
    name,
    size,
    async read(_offset, length) {
      reads.push(length);
      return new Uint8Array(length);
    },
  };
  return { files: { list: () => [name], open: async (n) => (n === name ? source : null) }, reads };
}

/** Runs `run`, expecting `type`, and returns how long it took. */
async function timeRejection(run: () => Promise<unknown>, type: typeof ModelFormatError | typeof DataError, pattern: RegExp): Promise<number> {
  const start = performance.now();
  const error = await run().then(
    () => null,
    (e: unknown) => e,
  );
  const elapsed = performance.now() - start;
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(pattern);
  return elapsed;
}

describe('caps on untrusted sizes', () => {
  it.each([2 ** 53, MAX_TEXT_BYTES + 1])('refuses a JSON file that claims %d bytes without reading it', async (size) => {
    const { files, reads } = claimingFolder('config.json', size);
    const elapsed = await timeRejection(() => readJsonFile(files, 'config.json'), ModelFormatError, /config\.json: is \d+ bytes, over the 100000000-byte limit/);
    expect(reads).toEqual([]);
    expect(elapsed).toBeLessThan(100);
  });

  it('refuses a model folder whose tokenizer.json claims 2^53 bytes without reading it', async () => {
    const { files, reads } = claimingFolder('tokenizer.json', 2 ** 53);
    await timeRejection(() => loadTokenizer(files), ModelFormatError, /tokenizer\.json: is 9007199254740992 bytes/);
    expect(reads).toEqual([]);
  });

  it('refuses a config.json declaring 2^31 - 1 layers before building a weight table that large', async () => {
    const files = fixtureFiles('smollm2');
    files.set('config.json', jsonBytes({ ...fixtureJson('smollm2', 'config.json'), num_hidden_layers: 2 ** 31 - 1 }));
    const elapsed = await timeRejection(() => openModel(memoryFiles(files)), ModelFormatError, /checkpoint: holds 20 tensors, too few for the 2147483647 layers/);
    expect(elapsed).toBeLessThan(1000);
  });

  it('sizes a vocabulary with a token id of 2^31 without walking 2^31 slots, and refuses ids that are not integers', () => {
    const json = fixtureJson('smollm2', 'tokenizer.json') as { added_tokens: Array<{ id: unknown }> };
    const config = fixtureJson('smollm2', 'tokenizer_config.json');
    json.added_tokens[0].id = 2 ** 31;
    const start = performance.now();
    expect(Tokenizer.fromJSON(json, config).vocabSize).toBe(2 ** 31 + 1);
    expect(performance.now() - start).toBeLessThan(1000);
    for (const id of [-1, 1.5, '7', null]) {
      json.added_tokens[0].id = id;
      expect(() => Tokenizer.fromJSON(json, config)).toThrow(/tokenizer\.json: added_tokens\[0\] has id .+, not a non-negative integer/);
    }
  });

  it('refuses a dataset file size of 2^53 before it is read', () => {
    expect(() => checkFileSize('data.jsonl', 2 ** 53)).toThrow(DataError);
    expect(() => checkFileSize('data.jsonl', MAX_FILE_BYTES + 1)).toThrow(/over the 200 MiB limit/);
  });
});

describe('caps on JSON nesting', () => {
  const bomb = '['.repeat(NESTING);

  it('finds the first bracket past the cap, ignoring brackets inside strings', () => {
    expect(jsonTooDeepAt('[[["[[[[", "\\"[[["]]]', 3)).toBe(-1);
    expect(jsonTooDeepAt('{"a": [{"b": [1]}]}', 3)).toBe(13);
    expect(jsonTooDeepAt(bomb)).toBe(MAX_JSON_DEPTH);
  });

  it('refuses a config.json of 10^8 nested brackets quickly', async () => {
    const files = fixtureFiles('smollm2');
    files.set('config.json', new TextEncoder().encode(bomb));
    const elapsed = await timeRejection(() => openModel(memoryFiles(files)), ModelFormatError, /config\.json: is not valid JSON \(nested deeper than 256 levels/);
    console.log(`config.json: 10^8-deep JSON refused in ${elapsed.toFixed(0)} ms`);
    expect(elapsed).toBeLessThan(3000);
  });

  it('refuses a tokenizer.json of 10^8 nested objects quickly', async () => {
    const files = fixtureFiles('smollm2');
    files.set('tokenizer.json', new TextEncoder().encode('{"a":'.repeat(NESTING / 5)));
    const elapsed = await timeRejection(() => loadTokenizer(memoryFiles(files)), ModelFormatError, /tokenizer\.json: is not valid JSON \(nested deeper/);
    console.log(`tokenizer.json: 10^8-character nesting refused in ${elapsed.toFixed(0)} ms`);
    expect(elapsed).toBeLessThan(3000);
  });

  it('refuses a dataset of 10^8 nested brackets quickly, as a JSON array and as a JSON Lines line', async () => {
    const asArray = await timeRejection(async () => parseDataset(bomb, 'data.json'), DataError, /data\.json: invalid JSON \(nested deeper than 256 levels/);
    console.log(`data.json: 10^8-deep JSON refused in ${asArray.toFixed(0)} ms`);
    expect(asArray).toBeLessThan(3000);
    // A JSON Lines line is capped at MAX_LINE_CHARS, so the deepest line is a million brackets.
    const line = `{"text": "ok"}\n${'{"a":'.repeat(200_000)}`;
    const asLine = await timeRejection(async () => parseDataset(line, 'data.jsonl'), DataError, /data\.jsonl line 2: invalid JSON \(nested deeper/);
    expect(asLine).toBeLessThan(1000);
  });
});
