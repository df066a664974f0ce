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
    config: config as Record<string, unknown>,
    spec,
    entries,
    targets: linearTargets(spec),
    checkpoint,
    tokenizer,
  };
}
