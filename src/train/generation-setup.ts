// What `gora generate` and the app's playground share before the first token: the prompt's ids as
// the model's data reads them, the model built for decoding, and the stop and pad tokens. A
// decoder-only model is built with rows for one prefill pass (the key/value cache holds the rest
// of the sequence), so a long prompt or many new tokens do not grow its activations.

import type { Gpu } from '../gpu/gpu';
import type { AnyOpenedModel } from '../model/open';
import { modelKind, storedWeightFormat, type BuiltModel } from './model-kinds';

/** Token rows a decoder-only model's prefill takes per pass. */
const PREFILL_ROWS = 64;

export interface GenerationSetup {
  built: BuiltModel;
  promptIds: number[];
  stopToken: number | null;
  padToken: number;
}

/** Refuses (RangeError) a model without a tokenizer and an empty prompt. */
export async function setUpGeneration(gpu: Gpu, model: AnyOpenedModel, prompt: string, maxNewTokens: number): Promise<GenerationSetup> {
  const tokenizer = model.tokenizer;
  if (!tokenizer) throw new RangeError('the model has no tokenizer.json, which a prompt needs');
  const kind = modelKind(model);
  const promptIds = kind.promptIds(model, prompt);
  if (promptIds.length === 0) throw new RangeError('the prompt is empty');
  const length = Math.min(kind.maxLength(model) ?? Infinity, promptIds.length + maxNewTokens);
  const built = await kind.build(gpu, model, { B: 1, S: promptIds.length, T: Math.min(length, PREFILL_ROWS) }, storedWeightFormat(model), () => {});
  return { built, promptIds, stopToken: tokenizer.eosTokenId, padToken: tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0 };
}
