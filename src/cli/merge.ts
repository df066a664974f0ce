// `gora merge --model DIR --adapter RUN_DIR --out DIR [--dtype bf16|f16|f32]`: the base model with
// the run's adapter merged into its weights, written as a complete Hugging Face model folder
// (config.json, safetensors — sharded above 2 GB — and the tokenizer's files) that loads without
// PEFT, and back into this app as a model. Default dtype: the checkpoint's (BF16 stays BF16).

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { MODEL_CARD } from '../export/model-card';
import { ADAPTER_CONFIG } from '../export/peft';
import { parseArgs } from 'node:util';
import { openAnyModel } from '../model/open';
import { MODEL_DTYPES, readCompanionFiles } from '../export/full-model';
import { checkpointModelDtype, mergedModelFiles } from '../export/merge';
import { UsageError } from './errors';
import { choiceFlag, requiredFlag } from './flags';
import { modelDirectory } from './logits';
import { readAdapter } from './eval';

export async function mergeCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { model: { type: 'string' }, adapter: { type: 'string' }, out: { type: 'string' }, dtype: { type: 'string' } }, strict: true });
  const modelDir = requiredFlag(values, 'model', 'merge');
  const runDir = requiredFlag(values, 'adapter', 'merge');
  const out = requiredFlag(values, 'out', 'merge');
  const files = await modelDirectory(modelDir);
  const model = await openAnyModel(files);
  const dtype = values.dtype === undefined ? checkpointModelDtype(model) : MODEL_DTYPES[choiceFlag(values, 'dtype', Object.keys(MODEL_DTYPES) as Array<keyof typeof MODEL_DTYPES>, 'f32')];
  const adapters = await readAdapter(runDir, model.targets);
  const outInfo = await stat(out).catch(() => null);
  if (outInfo && !outInfo.isDirectory()) throw new UsageError(`--out must be a folder, and ${out} is a file`);
  const adapterCard = await readFile(join(runDir, MODEL_CARD), 'utf8').catch(() => null);
  const adapterConfig = JSON.parse(await readFile(join(runDir, ADAPTER_CONFIG), 'utf8')) as { base_model_name_or_path?: unknown };
  const baseModel = typeof adapterConfig.base_model_name_or_path === 'string' ? adapterConfig.base_model_name_or_path : basename(resolve(modelDir));
  const merged = await mergedModelFiles(model, adapters, { dtype, companionFiles: await readCompanionFiles(files), card: { adapterCard, baseModel } });
  await mkdir(out, { recursive: true });
  for (const [name, bytes] of merged) await writeFile(join(out, name), bytes);
  console.error(`merge: ${adapters.size} adapters merged into ${modelDir}; wrote ${[...merged.keys()].join(', ')} (${dtype}) to ${out}`);
}
