// A fully trained model as a Hugging Face model folder, loadable by `from_pretrained` and by
// src/model/load.ts: config.json as given, model.safetensors under the checkpoint's own tensor names
// and layouts (GPT-2's Conv1D weights transposed back to [in, out]; a tied embedding written once,
// as save_pretrained does), and the tokenizer files copied unchanged.

import type { ModelFiles } from '../model/bytes';
import { SINGLE_FILE } from '../model/checkpoint';
import { writeSafetensors } from '../model/safetensors';
import type { WeightEntry } from '../model/spec';
import { transpose } from '../model/weights';

export const MODEL_CONFIG = 'config.json';
export const MODEL_WEIGHTS = SINGLE_FILE;

/** Files of a model folder that belong with the weights and are copied as they are. */
export const COMPANION_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'generation_config.json',
] as const;

export interface FullModelExport {
  /** config.json as read (or, for a new model, as built). */
  config: Record<string, unknown>;
  /** The checkpoint's tensors: canonical name, checkpoint name, engine shape, whether transposed. */
  entries: readonly WeightEntry[];
  /** Every weight by canonical name, in the engine's layout ([out, in] linears). */
  weights: ReadonlyMap<string, Float32Array>;
  /** Tokenizer and other companion files by name, written unchanged. */
  companionFiles?: ReadonlyMap<string, Uint8Array>;
}

/** The model folder's files by name: config.json, model.safetensors (F32) and the companion files. */
export function fullModelFiles(e: FullModelExport): Map<string, Uint8Array> {
  const tensors = e.entries.map((entry) => {
    const data = e.weights.get(entry.name);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (!data || data.length !== count) throw new RangeError(`weight ${entry.name} is missing or does not have shape [${entry.shape.join(', ')}]`);
    const [rows, cols] = entry.shape;
    return entry.transposed
      ? { name: entry.hfName, dtype: 'F32' as const, shape: [cols, rows], data: transpose(data, rows, cols) }
      : { name: entry.hfName, dtype: 'F32' as const, shape: [...entry.shape], data };
  });
  const files = new Map<string, Uint8Array>();
  for (const [name, bytes] of e.companionFiles ?? []) files.set(name, bytes);
  files.set(MODEL_CONFIG, new TextEncoder().encode(JSON.stringify(e.config, null, 2) + '\n'));
  // transformers refuses a safetensors checkpoint whose metadata does not name its framework.
  files.set(MODEL_WEIGHTS, writeSafetensors(tensors, { format: 'pt' }));
  return files;
}

/** The companion files (COMPANION_FILES) a model folder has, read whole. */
export async function readCompanionFiles(files: ModelFiles): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const name of COMPANION_FILES) {
    const source = await files.open(name);
    if (source) out.set(name, await source.read(0, source.size));
  }
  return out;
}
