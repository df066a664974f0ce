// What `gora generate`, the app's playground and its generation during a run share before the first
// token: the prompt's ids as the model's data reads them, the stop and pad tokens, and (between
// runs) the model built for decoding. A decoder-only model is built with rows for one prefill pass
// (the key/value cache holds the rest of the sequence), so a long prompt or many new tokens do not
// grow its activations.

import type { Gpu } from '../gpu/gpu';
import type { AnyOpenedModel } from '../model/open';
import { modelKind, storedWeightFormat, type BuiltModel } from './model-kinds';

/** Token rows a decoder-only model's prefill takes per pass. */
const PREFILL_ROWS = 64;

export interface PromptSetup {
  promptIds: number[];
  stopToken: number | null;
  padToken: number;
}

/**
 * With `chat`, the prompt is one user message in the model's chat template with the assistant's turn
 * begun, encoded as the template writes it (its own BOS, no special tokens added). Refuses
 * (RangeError) a model without a tokenizer, chat without a template, and an empty prompt.
 */
export function promptSetup(model: AnyOpenedModel, prompt: string, chat = false): PromptSetup {
  const tokenizer = model.tokenizer;
  if (!tokenizer) throw new RangeError('the model has no tokenizer.json, which a prompt needs');
  if (chat && (tokenizer.chatTemplate === null || model.kind !== 'decoder')) throw new RangeError('this model has no chat template (a base model?): give the prompt as plain text');
  const promptIds = chat
    ? tokenizer.encode(tokenizer.applyChatTemplate([{ role: 'user', content: prompt }], { addGenerationPrompt: true }), { addSpecialTokens: false })
    : modelKind(model).promptIds(model, prompt);
  if (promptIds.length === 0) throw new RangeError('the prompt is empty');
  return { promptIds, stopToken: tokenizer.eosTokenId, padToken: tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0 };
}

/** The prompt's setup and the model built to continue it by up to maxNewTokens. */
export async function setUpGeneration(gpu: Gpu, model: AnyOpenedModel, prompt: string, maxNewTokens: number, chat = false): Promise<PromptSetup & { built: BuiltModel }> {
  const setup = promptSetup(model, prompt, chat);
  const kind = modelKind(model);
  const length = Math.min(kind.maxLength(model) ?? Infinity, setup.promptIds.length + maxNewTokens);
  const built = await kind.build(gpu, model, { B: 1, S: setup.promptIds.length, T: Math.min(length, PREFILL_ROWS) }, storedWeightFormat(model), () => {});
  return { ...setup, built };
}
