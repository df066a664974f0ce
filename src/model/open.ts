// Opens any model folder the app trains: config.json's model_type picks how. Decoder-only models
// (GPT-2, Llama, Qwen2, …: ./load.ts) are one kind; T5, an encoder and a decoder, is another (./t5-load.ts).

import { readJsonFile, type ModelFiles } from './bytes';
import { openModel, type OpenedModel } from './load';
import { openT5, type OpenedT5 } from './t5-load';

export type AnyOpenedModel = OpenedModel | OpenedT5;

/** Openers by model_type; any other type is a decoder-only model (or refused by its config parser). */
const OPENERS: Record<string, (files: ModelFiles) => Promise<AnyOpenedModel>> = {
  t5: openT5,
};

export async function openAnyModel(files: ModelFiles): Promise<AnyOpenedModel> {
  const config = await readJsonFile(files, 'config.json');
  const type = typeof config === 'object' && config !== null ? (config as Record<string, unknown>).model_type : undefined;
  const opener = typeof type === 'string' && Object.hasOwn(OPENERS, type) ? OPENERS[type] : openModel;
  return opener(files);
}
