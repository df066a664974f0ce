// Fuzzing config.json: parseConfig on the fixtures' real configs with fields given the wrong type,
// removed, made huge, negative, non-finite or deeply nested; and openModel on the fixtures' model
// folders held in memory with such a config, as bytes that may also be cut short or not UTF-8.
// openModel goes on to size the weight table from the config, so a config that parses but claims
// absurd dimensions must still end in a ModelFormatError, not in an allocation it cannot finish.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryFiles } from '../../src/model/bytes';
import { parseConfig } from '../../src/model/config';
import { ModelFormatError } from '../../src/model/errors';
import { openModel } from '../../src/model/load';
import type { ModelSpec } from '../../src/model/spec';
import { fixtureFiles, fixtureJson } from '../model/helpers';
import { RUNS, Tally } from './harness';
import { mutateBytes, mutateJson, toBytes } from './mutate';

const FIXTURES = ['smollm2', 'smollm2-bf16', 'llama32', 'qwen2', 'gpt2', 'gpt2-noprefix'] as const;
const folders = new Map(FIXTURES.map((name) => [name, fixtureFiles(name)]));

/** Dimensions the engine sizes buffers and loops from: a spec that passes must have sane ones. */
function expectSaneSpec(spec: ModelSpec): void {
  const dims = [spec.vocabSize, spec.hiddenSize, spec.layers, spec.heads, spec.kvHeads, spec.headDim, spec.intermediateSize, spec.maxPositions];
  expect(dims.every((d) => Number.isSafeInteger(d) && d > 0)).toBe(true);
  expect(spec.heads % spec.kvHeads).toBe(0);
  for (const id of [spec.bosTokenId, spec.eosTokenId]) expect(id === null || (Number.isSafeInteger(id) && id >= 0 && id < spec.vocabSize)).toBe(true);
}

const mutatedConfig = fc.constantFrom(...FIXTURES).chain((name) => mutateJson(fixtureJson(name, 'config.json'), 4));

describe('config.json under malformed input', () => {
  it('parseConfig ends every mutated config in a ModelFormatError or a sane spec', () => {
    const tally = new Tally('parseConfig', [ModelFormatError]);
    fc.assert(
      fc.property(mutatedConfig, (config) => tally.checkSync(() => expectSaneSpec(parseConfig(config)))),
      { seed: 0xc0f1, numRuns: RUNS },
    );
    console.log(tally.report());
    expect(tally.total).toBe(RUNS);
  });

  it('openModel ends every model folder with a mutated config.json in a ModelFormatError or a model', async () => {
    const tally = new Tally('openModel (config.json)', [ModelFormatError]);
    const configBytes = fc.oneof(
      { arbitrary: fc.constantFrom(...FIXTURES).chain((name) => mutateJson(fixtureJson(name, 'config.json'), 4).map((c) => ({ name, bytes: toBytes(c) }))), weight: 3 },
      { arbitrary: fc.constantFrom(...FIXTURES).chain((name) => mutateBytes(folders.get(name)!.get('config.json')!).map((bytes) => ({ name, bytes }))), weight: 2 },
      // The dimensions that size the weight table, each pushed to the edge of what parses.
      {
        arbitrary: fc
          .record({
            name: fc.constantFrom(...FIXTURES),
            key: fc.constantFrom('num_hidden_layers', 'n_layer', 'vocab_size', 'hidden_size', 'n_embd', 'intermediate_size', 'n_inner', 'num_attention_heads', 'num_key_value_heads', 'n_head', 'head_dim', 'max_position_embeddings', 'n_positions'),
            value: fc.oneof(fc.constantFrom(1, 2 ** 20, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1), fc.integer({ min: 1, max: 2 ** 31 - 1 })),
          })
          .map(({ name, key, value }) => ({ name, bytes: toBytes({ ...fixtureJson(name, 'config.json'), [key]: value }) })),
        weight: 1,
      },
    );
    await fc.assert(
      fc.asyncProperty(configBytes, ({ name, bytes }) =>
        tally.check(async () => {
          const files = new Map(folders.get(name)!);
          files.set('config.json', bytes);
          expectSaneSpec((await openModel(memoryFiles(files))).spec);
        }),
      ),
      { seed: 0x10ad, numRuns: RUNS },
    );
    console.log(tally.report());
    expect(tally.total).toBe(RUNS);
  });
});
