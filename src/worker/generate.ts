// The playground's generation in the worker, each output sent back token by token with its speed.
// Between runs: the model the page has loaded, once as it is and once with an adapter (a finished
// run's, or one loaded from a download). During a run: the run's own model between its training
// steps (src/train/live-model.ts), as it is and as trained so far. One prompt at a time.

import type { Gpu } from '../gpu/gpu';
import type { Tokenizer } from '../model/tokenizer';
import { openAnyModel, type AnyOpenedModel } from '../model/open';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, readPeftAdapter } from '../export/peft';
import { tokenPicker } from '../engine/sampling';
import type { GenerateOptions } from '../engine/trainable';
import { promptSetup, setUpGeneration, type PromptSetup } from '../train/generation-setup';
import type { LiveModel } from '../train/live-model';
import { openModelFiles } from '../app/sources';
import type { GenerateRequest, WorkerResponse } from './protocol';

type Generate = (prompts: readonly Uint32Array[], options: GenerateOptions) => Promise<number[][]>;

export async function generateInWorker(gpu: Gpu, request: GenerateRequest, post: (message: WorkerResponse) => void): Promise<void> {
  const model = await openAnyModel(await openModelFiles(request.model));
  const adapters = request.adapter ? await readPeftAdapter(request.adapter[ADAPTER_WEIGHTS], new TextDecoder().decode(request.adapter[ADAPTER_CONFIG]), model.targets) : null;
  const { built, ...setup } = await setUpGeneration(gpu, model, request.prompt, request.settings.maxNewTokens, request.settings.chat);
  try {
    const generate: Generate = (prompts, options) => built.model.generate(prompts, options);
    await stream(request, model.tokenizer!, setup, 'base', generate, post);
    if (!adapters) return;
    for (const [name, a] of adapters) built.model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
    await stream(request, model.tokenizer!, setup, 'adapted', generate, post);
  } finally {
    built.release();
  }
}

/** During a run, between its steps: the base model and the model as trained so far. */
export async function generateLive(live: LiveModel, model: AnyOpenedModel, request: GenerateRequest, post: (message: WorkerResponse) => void): Promise<void> {
  const setup = promptSetup(model, request.prompt, request.settings.chat);
  for (const which of ['base', 'adapted'] as const) await stream(request, model.tokenizer!, setup, which, (prompts, options) => live.generate(which, prompts, options), post);
}

/** Runs one request's generation; whatever stops it is posted as that request's error. */
export async function answer(request: GenerateRequest, post: (message: WorkerResponse) => void, generation: () => Promise<void>): Promise<void> {
  try {
    await generation();
  } catch (error) {
    post({ type: 'generate-error', requestId: request.requestId, message: error instanceof Error ? error.message : String(error) });
  }
}

/** One continuation of the prompt, posted as its text grows. */
async function stream(request: GenerateRequest, tokenizer: Tokenizer, setup: PromptSetup, which: 'base' | 'adapted', generate: Generate, post: (message: WorkerResponse) => void): Promise<void> {
  const { requestId, settings } = request;
  const generated: number[] = [];
  const start = performance.now();
  const send = (done: boolean) => {
    const seconds = (performance.now() - start) / 1000;
    post({ type: 'generated', requestId, which, text: tokenizer.decode(generated, { skipSpecialTokens: true }), tokens: generated.length, tokensPerSecond: generated.length / seconds, done });
  };
  await generate([Uint32Array.from(setup.promptIds)], {
    maxNewTokens: settings.maxNewTokens,
    stopToken: setup.stopToken,
    padToken: setup.padToken,
    pick: tokenPicker({ temperature: settings.temperature, topK: settings.topK, topP: settings.topP, seed: settings.seed }),
    onToken: (_, token) => {
      generated.push(token);
      send(false);
    },
  });
  send(true);
}
