// `gora logits --model DIR --text "..." --out FILE.safetensors`: runs the model on the text and writes
// `input_ids` (I32 [T]) and `logits` (F32 [T, V]), for comparison with other implementations. An
// encoder-decoder model (T5) takes `--target "..."` too (./logits-t5.ts).

import { stat, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { acquireNodeGpu } from '../gpu/node';
import { checkpointDtype, openModel } from '../model/load';
import { nodeModelFiles } from '../model/node-files';
import { writeSafetensors } from '../model/safetensors';
import { loadWeights } from '../engine/load';
import { WEIGHT_FORMATS } from '../engine/weight-format';
import { checkpointFormat } from '../train/config';
import { choiceFlag } from './flags';
import { Transformer } from '../engine/transformer';
import { UsageError } from './errors';
import { isEncoderDecoder, t5Logits } from './logits-t5';
import { readJsonFile } from '../model/bytes';

export async function logitsCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { model: { type: 'string' }, text: { type: 'string' }, target: { type: 'string' }, out: { type: 'string' }, 'no-special-tokens': { type: 'boolean' }, weights: { type: 'string' } },
    strict: true,
  });
  if (!values.model || values.text === undefined || !values.out) throw new UsageError('logits needs --model DIR --text "..." --out FILE.safetensors');

  const files = await modelDirectory(values.model);
  if (isEncoderDecoder(await readJsonFile(files, 'config.json'))) {
    return t5Logits(files, { text: values.text, target: values.target, out: values.out, specialTokens: !values['no-special-tokens'] });
  }
  if (values.target !== undefined) throw new UsageError('--target is for encoder-decoder models (T5); this model is decoder-only');
  const model = await openModel(files);
  if (!model.tokenizer) throw new UsageError(`${values.model} has no tokenizer.json`);
  const ids = model.tokenizer.encode(values.text, { addSpecialTokens: !values['no-special-tokens'] });
  if (ids.length === 0) throw new UsageError('the text encodes to no tokens');
  if (ids.length > model.spec.maxPositions) throw new UsageError(`the text is ${ids.length} tokens, above the model's ${model.spec.maxPositions} positions`);

  const format = choiceFlag(values, 'weights', WEIGHT_FORMATS, checkpointFormat(checkpointDtype(model)));
  const gpu = await acquireNodeGpu();
  const weights = await loadWeights(gpu, model, format);
  const T = ids.length;
  const transformer = new Transformer(gpu, model.spec, weights.buffers, { B: 1, T }, weights.packed);
  transformer.setBatch(Uint32Array.from(ids), new Int32Array(T).fill(-100));
  await gpu.run('logits', (enc) => transformer.forward(enc, null));
  const logits = await gpu.readF32(transformer.logits);
  gpu.destroy();

  const file = writeSafetensors([
    { name: 'input_ids', dtype: 'I32', shape: [T], data: Int32Array.from(ids) },
    { name: 'logits', dtype: 'F32', shape: [T, model.spec.vocabSize], data: logits },
  ]);
  await writeFile(values.out, file);
  console.error(`wrote ${T} tokens × ${model.spec.vocabSize} logits to ${values.out}`);
}

/** The model folder's files, or a usage error that says what is wrong with the path. */
export async function modelDirectory(path: string) {
  const info = await stat(path).catch(() => null);
  if (!info) throw new UsageError(`model folder not found: ${path}`);
  if (!info.isDirectory()) throw new UsageError(`--model must be a folder holding config.json and *.safetensors, got a file: ${path}`);
  return nodeModelFiles(path);
}
