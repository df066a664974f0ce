// `gora generate` on every fixture, as it is and with an adapter folder: its greedy tokens (through
// the key/value cache) are the tokens greedy decoding by full re-runs gives. The command runs in
// this process, its standard output captured, so the sixteen runs share one start-up.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCommand } from '../src/cli/generate';
import { openAnyModel } from '../src/model/open';
import { nodeModelFiles } from '../src/model/node-files';
import { modelKind, storedWeightFormat } from '../src/train/model-kinds';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, peftAdapterFiles, readPeftAdapter } from '../src/export/peft';
import { generateByRerun } from '../src/engine/generate';
import { t5GenerateByRerun } from '../src/engine/t5-generate';
import type { T5Model } from '../src/engine/t5-model';
import { Random } from '../src/engine/random';
import { testGpu } from './gpu';
import { FIXTURES, fixturePath } from './engine/fixtures';

const PROMPT = 'Hello, world. The';
const NEW_TOKENS = 5;

/** The command's --json line. */
async function generateJson(args: string[]): Promise<{ prompt_ids: number[]; generated_ids: number[] }> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  await generateCommand([...args, '--prompt', PROMPT, '--max-new-tokens', String(NEW_TOKENS), '--json']);
  vi.restoreAllMocks();
  return JSON.parse(lines.at(-1)!);
}

afterEach(() => vi.restoreAllMocks());

describe('gora generate through the cache gives the re-run\'s greedy tokens', () => {
  for (const fixture of [...FIXTURES, 't5', 't5-v1_1']) {
    it(`${fixture}, without and with an adapter`, async () => {
      const folder = fixturePath(fixture);
      const opened = await openAnyModel(await nodeModelFiles(folder));
      const kind = modelKind(opened);
      // A random adapter on every target, written as a run folder.
      const rng = new Random(9);
      const tensors = new Map(opened.targets.map((t) => [t.name, { rank: 2, A: rng.floats(2 * t.in, -0.3, 0.3), B: rng.floats(t.out * 2, -0.3, 0.3) }]));
      const files = peftAdapterFiles({ targets: opened.targets, taskType: kind.taskType, adapters: tensors, rsLora: false, alpha: 4, rankRef: 2, baseModel: fixture });
      const run = mkdtempSync(join(tmpdir(), 'gora-generate-'));
      writeFileSync(join(run, ADAPTER_WEIGHTS), files.weights);
      writeFileSync(join(run, ADAPTER_CONFIG), files.config);
      const adapters = await readPeftAdapter(files.weights, files.config, opened.targets);

      const gpu = await testGpu();
      for (const adapted of [false, true]) {
        const result = await generateJson(['--model', folder, ...(adapted ? ['--adapter', run] : [])]);
        const prompt = Uint32Array.from(result.prompt_ids);
        const built = await kind.build(gpu, opened, { B: 1, S: prompt.length, T: prompt.length + NEW_TOKENS }, storedWeightFormat(opened), () => {});
        try {
          if (adapted) for (const [name, a] of adapters) built.model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
          const options = { maxNewTokens: NEW_TOKENS, stopToken: opened.tokenizer!.eosTokenId, padToken: 0 };
          const want = built.transformer ? (await generateByRerun(built.transformer, [prompt], options))[0] : await t5GenerateByRerun(built.model as T5Model, prompt, options);
          expect(result.generated_ids, `${fixture}${adapted ? ' with an adapter' : ''}`).toEqual(want);
        } finally {
          built.release();
        }
      }
    });
  }
});
