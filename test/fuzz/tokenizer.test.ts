// Fuzzing tokenizer loading: Tokenizer.fromJSON on the fixture's tokenizer.json and
// tokenizer_config.json with fields replaced, removed or added, and loadTokenizer on model folders
// whose tokenizer files are cut short, bit-flipped, not JSON or not UTF-8. A tokenizer that loads is
// then used as the data pipeline uses it (encode, decode, chat template), since a file that loads
// but fails on first use reaches the user just the same.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryFiles } from '../../src/model/bytes';
import { ModelFormatError } from '../../src/model/errors';
import { CHAT_TEMPLATE_FILE, loadTokenizer, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, Tokenizer } from '../../src/model/tokenizer';
import { fixtureFiles, fixtureJson } from '../model/helpers';
import { RUNS, Tally } from './harness';
import { INVALID_UTF8, mutateBytes, mutateJson } from './mutate';

const FIXTURE = 'smollm2';
const tokenizerJson = fixtureJson(FIXTURE, TOKENIZER_FILE);
const tokenizerConfig = fixtureJson(FIXTURE, TOKENIZER_CONFIG_FILE);
const files = fixtureFiles(FIXTURE);

/** What the data pipeline asks of a loaded tokenizer. */
function use(tokenizer: Tokenizer): void {
  const ids = tokenizer.encode('Hello, wörld <|im_end|> 123\n');
  expect(ids.every((id) => Number.isSafeInteger(id) && id >= 0 && id < tokenizer.vocabSize)).toBe(true);
  tokenizer.decode(ids);
  if (tokenizer.chatTemplate !== null) tokenizer.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true });
}

describe('tokenizer loading under malformed input', () => {
  it('Tokenizer.fromJSON ends every mutated tokenizer.json / tokenizer_config.json in a ModelFormatError or a working tokenizer', () => {
    const tally = new Tally('Tokenizer.fromJSON', [ModelFormatError]);
    const pair = fc.oneof(
      { arbitrary: mutateJson(tokenizerJson, 4).map((json) => [json, tokenizerConfig] as const), weight: 3 },
      { arbitrary: mutateJson(tokenizerConfig, 4).map((config) => [tokenizerJson, config] as const), weight: 2 },
      { arbitrary: fc.tuple(mutateJson(tokenizerJson, 2), mutateJson(tokenizerConfig, 2)), weight: 1 },
    );
    fc.assert(
      fc.property(pair, ([json, config]) => tally.checkSync(() => use(Tokenizer.fromJSON(json, config)))),
      { seed: 0x70c, numRuns: RUNS },
    );
    console.log(tally.report());
    expect(tally.total).toBe(RUNS);
  });

  it('loadTokenizer ends every folder with damaged tokenizer files in a ModelFormatError or a working tokenizer', async () => {
    const tally = new Tally('loadTokenizer', [ModelFormatError]);
    const template = new TextEncoder().encode(String(tokenizerConfig.chat_template));
    const damaged = fc.oneof(
      fc.record({ file: fc.constant(TOKENIZER_FILE), bytes: mutateBytes(files.get(TOKENIZER_FILE)!) }),
      fc.record({ file: fc.constant(TOKENIZER_CONFIG_FILE), bytes: mutateBytes(files.get(TOKENIZER_CONFIG_FILE)!) }),
      fc.record({ file: fc.constant(CHAT_TEMPLATE_FILE), bytes: mutateBytes(template, 4, false) }),
      fc.record({
        file: fc.constantFrom(TOKENIZER_FILE, TOKENIZER_CONFIG_FILE, CHAT_TEMPLATE_FILE),
        bytes: fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.constantFrom(...INVALID_UTF8).map((b) => new Uint8Array([0x7b, ...b, 0x7d]))),
      }),
    );
    await fc.assert(
      fc.asyncProperty(damaged, ({ file, bytes }) =>
        tally.check(async () => {
          const folder = new Map(files);
          folder.set(file, bytes);
          const tokenizer = await loadTokenizer(memoryFiles(folder));
          if (tokenizer) use(tokenizer);
        }),
      ),
      { seed: 0x10ad70c, numRuns: RUNS },
    );
    console.log(tally.report());
    expect(tally.total).toBe(RUNS);
  });
});
