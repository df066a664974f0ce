// Shared by the data tests: the fixture tokenizer (a byte-level BPE with a ChatML template, which
// adds no BOS) and variants of it built from the same files.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DataError } from '../../src/data/errors';
import { nodeModelFiles } from '../../src/model/node-files';
import { loadTokenizer, Tokenizer } from '../../src/model/tokenizer';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'smollm2');

export async function fixtureTokenizer(): Promise<Tokenizer> {
  const tokenizer = await loadTokenizer(await nodeModelFiles(FIXTURE));
  if (tokenizer === null) throw new Error('the smollm2 fixture has no tokenizer.json');
  return tokenizer;
}

function json(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURE, file), 'utf8')) as Record<string, unknown>;
}

/** The fixture's tokenizer with its chat template removed, as a base model's. */
export function baseModelTokenizer(): Tokenizer {
  const { chat_template: _, ...config } = json('tokenizer_config.json');
  return Tokenizer.fromJSON(json('tokenizer.json'), config);
}

/** The fixture's tokenizer made to add a BOS (`<|im_start|>`, id 1) before every text, as Llama's does. */
export function bosTokenizer(): Tokenizer {
  const bos = '<|im_start|>';
  const postProcessor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { [bos]: { id: bos, ids: [1], tokens: [bos] } },
  };
  return Tokenizer.fromJSON({ ...json('tokenizer.json'), post_processor: postProcessor }, { ...json('tokenizer_config.json'), bos_token: bos });
}

/** Lines joined into a file's text. */
export function lines(...rows: string[]): string {
  return rows.join('\n');
}

/** The DataError that `run` throws; fails the test when it throws nothing or something else. */
export function dataError(run: () => unknown): DataError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}
