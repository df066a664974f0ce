// A fully trained model as a Hugging Face model folder, loadable by `from_pretrained` and by
// src/model/load.ts: config.json as given, model.safetensors under the checkpoint's own tensor names
// and layouts (GPT-2's Conv1D weights transposed back to [in, out]; a tied embedding written once,
// as save_pretrained does), and the tokenizer files copied unchanged.

import type { ModelFiles } from '../model/bytes';
import { INDEX_FILE, SINGLE_FILE } from '../model/checkpoint';
import { DTYPE_SIZES } from '../model/dtype';
import { writeSafetensors, type TensorToWrite, type WritableDtype } from '../model/safetensors';
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
  /** The weights' dtype in the files (config.json's torch_dtype follows); F32 by default. */
  dtype?: ModelDtype;
  /** Above this many bytes of weights the checkpoint is written in shards with an index (weightFiles). */
  shardBytes?: number;
}

export type ModelDtype = Extract<WritableDtype, 'F32' | 'BF16' | 'F16'>;

/** The file dtype of each 16- or 32-bit weight format (src/engine/weight-format.ts). */
export const MODEL_DTYPES = { f32: 'F32', bf16: 'BF16', f16: 'F16' } as const satisfies Record<string, ModelDtype>;

/** config.json's torch_dtype for each dtype. */
export const TORCH_DTYPES: Record<ModelDtype, string> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' };

/** 2 GB: above it, a checkpoint is written in shards (as transformers' save_pretrained does at its max_shard_size). */
export const SHARD_BYTES = 2_000_000_000;

/**
 * A checkpoint's files: model.safetensors, or above `shardBytes` shards of at most that size
 * (`model-00001-of-00003.safetensors`, …) and model.safetensors.index.json mapping each tensor to its shard.
 */
export function weightFiles(tensors: readonly TensorToWrite[], shardBytes = SHARD_BYTES): Map<string, Uint8Array> {
  const bytes = (t: TensorToWrite) => t.data.length * DTYPE_SIZES[t.dtype];
  const total = tensors.reduce((sum, t) => sum + bytes(t), 0);
  // transformers refuses a safetensors checkpoint whose metadata does not name its framework.
  if (total <= shardBytes) return new Map([[MODEL_WEIGHTS, writeSafetensors(tensors, { format: 'pt' })]]);
  const shards: TensorToWrite[][] = [[]];
  let size = 0;
  for (const t of tensors) {
    if (size > 0 && size + bytes(t) > shardBytes) {
      shards.push([]);
      size = 0;
    }
    shards.at(-1)!.push(t);
    size += bytes(t);
  }
  const name = (i: number) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
  const files = new Map(shards.map((shard, i) => [name(i), writeSafetensors(shard, { format: 'pt' })]));
  const weightMap = Object.fromEntries(shards.flatMap((shard, i) => shard.map((t) => [t.name, name(i)])));
  files.set(INDEX_FILE, new TextEncoder().encode(JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n'));
  return files;
}

/** The model folder's files by name: config.json, the weights (weightFiles) and the companion files. */
export function fullModelFiles(e: FullModelExport): Map<string, Uint8Array> {
  const dtype = e.dtype ?? 'F32';
  const tensors = e.entries.map((entry) => {
    const data = e.weights.get(entry.name);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (!data || data.length !== count) throw new RangeError(`weight ${entry.name} is missing or does not have shape [${entry.shape.join(', ')}]`);
    const [rows, cols] = entry.shape;
    return entry.transposed
      ? { name: entry.hfName, dtype, shape: [cols, rows], data: transpose(data, rows, cols) }
      : { name: entry.hfName, dtype, shape: [...entry.shape], data };
  });
  return modelFolderFiles({ ...e.config, torch_dtype: TORCH_DTYPES[dtype] }, weightFiles(tensors, e.shardBytes), e.companionFiles);
}

/** config.json, the weight files and the companion files, as one folder's files by name. */
export function modelFolderFiles(config: Record<string, unknown>, weights: ReadonlyMap<string, Uint8Array>, companionFiles?: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const [name, bytes] of companionFiles ?? []) files.set(name, bytes);
  files.set(MODEL_CONFIG, new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n'));
  for (const [name, bytes] of weights) files.set(name, bytes);
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
