// `gora generate --model DIR [--adapter RUN_DIR] --prompt TEXT [--chat] [--max-new-tokens N]
//   [--temperature T --top-k K --top-p P --seed S] [--json]`: the model's continuation of a prompt
// (for T5, its output for that input), written to stdout as it is produced; greedy at temperature 0
// (the default), else sampled (src/engine/sampling.ts). With --json the last line is
// {"prompt_ids": [...], "generated_ids": [...], "text": "..."}. The prompt is prefilled into a
// key/value cache and each new token is one step through the model (src/engine/generate.ts).

import { parseArgs } from 'node:util';
import { acquireNodeGpu } from '../gpu/node';
import { openAnyModel } from '../model/open';
import { tokenPicker } from '../engine/sampling';
import { setUpGeneration } from '../train/generation-setup';
import { UsageError } from './errors';
import { numberFlag, requiredFlag } from './flags';
import { modelDirectory } from './logits';
import { readAdapter } from './eval';

export async function generateCommand(argv: string[]): Promise<void> {
  const options = { model: { type: 'string' }, adapter: { type: 'string' }, prompt: { type: 'string' }, 'max-new-tokens': { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, chat: { type: 'boolean' } } as const;
  const { values } = parseArgs({ args: argv, options, strict: true });
  const prompt = requiredFlag(values, 'prompt', 'generate');
  const maxNewTokens = numberFlag(values, 'max-new-tokens', 32);
  const sampling = { temperature: numberFlag(values, 'temperature', 0), topK: numberFlag(values, 'top-k', 0), topP: numberFlag(values, 'top-p', 1), seed: numberFlag(values, 'seed', 0) };
  if (!Number.isSafeInteger(maxNewTokens) || maxNewTokens < 1) throw new UsageError(`--max-new-tokens must be a whole number ≥ 1, got ${maxNewTokens}`);
  let pick: (logits: Float32Array) => number;
  try {
    pick = tokenPicker(sampling);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const model = await openAnyModel(await modelDirectory(requiredFlag(values, 'model', 'generate')));
  const adapters = values.adapter ? await readAdapter(values.adapter, model.targets) : new Map();
  const gpu = await acquireNodeGpu();
  let setup: Awaited<ReturnType<typeof setUpGeneration>>;
  try {
    setup = await setUpGeneration(gpu, model, prompt, maxNewTokens, values.chat ?? false);
  } catch (error) {
    gpu.destroy();
    throw error instanceof RangeError ? new UsageError(error.message) : error;
  }
  const { built, promptIds, stopToken, padToken } = setup;
  const tokenizer = model.tokenizer!;
  const generated: number[] = [];
  let printed = '';
  try {
    for (const [name, a] of adapters) built.model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
    await built.model.generate([Uint32Array.from(promptIds)], {
      maxNewTokens,
      stopToken,
      padToken,
      pick,
      onToken: (_, token) => {
        generated.push(token);
        // The text so far, less what is already out: a token may complete a character begun before.
        const text = tokenizer.decode(generated, { skipSpecialTokens: true });
        if (text.startsWith(printed)) process.stdout.write(text.slice(printed.length));
        printed = text;
      },
    });
  } finally {
    built.release();
    gpu.destroy();
  }
  const text = tokenizer.decode(generated, { skipSpecialTokens: true });
  process.stdout.write('\n');
  if (values.json) console.log(JSON.stringify({ prompt_ids: promptIds, generated_ids: generated, text }));
}
