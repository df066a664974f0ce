// The playground's generation in the worker: the model the page has loaded, once as it is and once
// with an adapter (a finished run's, or one loaded from a download), each continuing the prompt and
// sending its text back token by token with its speed. One prompt at a time; a run holds the GPU
// meanwhile, so the page asks only between runs.

import type { Gpu } from '../gpu/gpu';
import { openAnyModel } from '../model/open';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, readPeftAdapter } from '../export/peft';
import { tokenPicker, type SamplingSettings } from '../engine/sampling';
import { setUpGeneration } from '../train/generation-setup';
import { openModelFiles } from '../app/sources';
import type { GenerateRequest, WorkerResponse } from './protocol';

export async function generateInWorker(gpu: Gpu, request: GenerateRequest, post: (message: WorkerResponse) => void): Promise<void> {
  const { requestId, settings } = request;
  const model = await openAnyModel(await openModelFiles(request.model));
  const adapters = request.adapter ? await readPeftAdapter(request.adapter[ADAPTER_WEIGHTS], new TextDecoder().decode(request.adapter[ADAPTER_CONFIG]), model.targets) : null;
  const { built, promptIds, stopToken, padToken } = await setUpGeneration(gpu, model, request.prompt, settings.maxNewTokens);
  const tokenizer = model.tokenizer!;
  try {
    for (const which of adapters ? (['base', 'adapted'] as const) : (['base'] as const)) {
      if (which === 'adapted') for (const [name, a] of adapters!) built.model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
      const generated: number[] = [];
      const start = performance.now();
      const sampling: SamplingSettings = { temperature: settings.temperature, topK: settings.topK, topP: settings.topP, seed: settings.seed };
      await built.model.generate([Uint32Array.from(promptIds)], {
        maxNewTokens: settings.maxNewTokens,
        stopToken,
        padToken,
        pick: tokenPicker(sampling),
        onToken: (_, token) => {
          generated.push(token);
          const seconds = (performance.now() - start) / 1000;
          post({ type: 'generated', requestId, which, text: tokenizer.decode(generated, { skipSpecialTokens: true }), tokens: generated.length, tokensPerSecond: generated.length / seconds, done: false });
        },
      });
      const seconds = (performance.now() - start) / 1000;
      post({ type: 'generated', requestId, which, text: tokenizer.decode(generated, { skipSpecialTokens: true }), tokens: generated.length, tokensPerSecond: generated.length / seconds, done: true });
    }
  } finally {
    built.release();
  }
}
