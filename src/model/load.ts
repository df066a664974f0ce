// Opens a Hugging Face model folder: config.json -> ModelSpec, the safetensors checkpoint's headers,
// the weight table and adapter targets, and the tokenizer. Only headers and small JSON files are read
// here; the weights are streamed later with readWeights.

import { readJsonFile, type ModelFiles } from './bytes';
import { Checkpoint } from './checkpoint';
import { parseConfig } from './config';
import { ModelFormatError } from './errors';
import type { LinearTarget, ModelSpec, WeightEntry } from './spec';
import { loadTokenizer, type Tokenizer } from './tokenizer';
import { checkShapes, linearTargets, weightEntries } from './weights';

export interface OpenedModel {
  /** A decoder-only model; an encoder-decoder one is an OpenedT5 (./t5-load.ts). */
  kind: 'decoder';
  /** config.json as written. */
  config: Record<string, unknown>;
  spec: ModelSpec;
  entries: WeightEntry[];
  targets: LinearTarget[];
  checkpoint: Checkpoint;
  /** null when the folder has no tokenizer.json. */
  tokenizer: Tokenizer | null;
}

export async function openModel(files: ModelFiles): Promise<OpenedModel> {
  const config = await readJsonFile(files, 'config.json');
  if (config === null) {
    throw new ModelFormatError('config.json', 'not found: pick the model folder that holds config.json and the .safetensors weights');
  }
  const spec = parseConfig(config);
  const checkpoint = await Checkpoint.open(files);
  const entries = weightEntries(spec, checkpoint.names());
  // Every shape is checked now, from the headers, so a mismatch is reported before any weight loads.
  checkShapes(checkpoint, entries);
  const tokenizer = await loadTokenizer(files);
  if (tokenizer && tokenizer.vocabSize > spec.vocabSize) {
    throw new ModelFormatError(
      'tokenizer.json',
      `has token ids up to ${tokenizer.vocabSize - 1}, beyond config.json's vocab_size ${spec.vocabSize}: tokenizer and model do not match`,
    );
  }
  return {
    kind: 'decoder',
    config: config as Record<string, unknown>,
    spec,
    entries,
    targets: linearTargets(spec),
    checkpoint,
    tokenizer,
  };
}

/** Whether a weight entry is the W of a linear layer an adapter may target (what `--weights` stores). */
export function isLinearWeight(model: OpenedModel, entry: WeightEntry): boolean {
  return entry.shape.length === 2 && model.targets.some((t) => `${t.name}.weight` === entry.name);
}

/** The dtype of the checkpoint's linear weights (BF16, F16, F32…): what `--weights` defaults to. */
export function checkpointDtype(model: OpenedModel): string {
  const linear = model.entries.find((e) => isLinearWeight(model, e));
  return model.checkpoint.tensor((linear ?? model.entries[0]).hfName).dtype;
}
