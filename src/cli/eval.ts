// `gora eval --model DIR [--adapter RUN_DIR] --data FILE [--split val|all]`: one JSON line with the
// mean token loss, the label accuracy (classification-style data) and the number of examples.
// The validation split is the one `finetune` used: same seed, validation share and sequence length
// (read from the run's report when --adapter is given, else finetune's defaults or the flags).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { acquireNodeGpu } from '../gpu/node';
import { checkpointDtype, openModel } from '../model/load';
import { loadWeights } from '../engine/load';
import { WEIGHT_FORMATS, type WeightFormat } from '../engine/weight-format';
import { Transformer } from '../engine/transformer';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, readPeftAdapter } from '../export/peft';
import { checkpointFormat, defaultConfig } from '../train/config';
import { labelAccuracy, meanTokenLoss } from '../train/evaluate';
import { UsageError } from './errors';
import { choiceFlag } from './flags';
import { settingFlag, settingOptions } from './setting-flags';
import { DATA_SETTINGS, settingRow } from '../train/settings';
import { DATA_FLAGS, loadData } from './finetune';
import { modelDirectory } from './logits';
import { modelOrDefault } from './defaults';

export async function evalCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { ...DATA_FLAGS, ...settingOptions(DATA_SETTINGS.map(settingRow)), model: { type: 'string' }, adapter: { type: 'string' }, split: { type: 'string' }, weights: { type: 'string' } }, strict: true });
  const split = choiceFlag(values, 'split', ['val', 'all'] as const, 'val');
  const model = await openModel(await modelDirectory(modelOrDefault(values)));
  const runDir = values.adapter;
  const settings = runDir ? await runSettings(runDir) : defaultConfig('gora');
  // The data as the run prepared it (its settings, from its report) unless a flag says otherwise.
  const seqLen = settingFlag(values, 'seqLen', settings);
  const batchSize = settingFlag(values, 'batchSize', settings);
  const seed = settingFlag(values, 'seed', settings);
  const valFraction = split === 'all' ? 0 : settingFlag(values, 'valFraction', settings);
  const data = await loadData(values, model, { seqLen, batchSize, seed, valFraction });
  const rows = split === 'all' ? [...data.train, ...data.val] : data.val;
  if (rows.length === 0) throw new UsageError('the validation split is empty: use --split all or a larger --val-fraction');

  const adapters = runDir ? await readAdapter(runDir, model.targets) : null;
  // An adapter is evaluated on the weights it was trained on (the report's format) unless told otherwise.
  const format = choiceFlag(values, 'weights', WEIGHT_FORMATS, settings.weights ?? checkpointFormat(checkpointDtype(model)));
  const gpu = await acquireNodeGpu();
  const weights = await loadWeights(gpu, model, format);
  const transformer = new Transformer(gpu, model.spec, weights.buffers, { B: batchSize, T: seqLen }, weights.packed);
  for (const [name, a] of adapters ?? []) transformer.attachAdapter(name, a.rank, a.scale, a.A, a.B);
  const { loss } = await meanTokenLoss(transformer, rows, data.plan.pad);
  const accuracy = await labelAccuracy(transformer, rows, data.labels, data.plan.pad);
  gpu.destroy();
  console.log(JSON.stringify({ loss, accuracy: accuracy?.accuracy ?? null, examples: rows.length }));
}

async function runSettings(runDir: string): Promise<ReturnType<typeof defaultConfig>> {
  const text = await readFile(join(runDir, 'gora_report.json'), 'utf8').catch(() => null);
  if (text === null) return defaultConfig('gora');
  const report = JSON.parse(text) as { settings?: ReturnType<typeof defaultConfig>; weights_dtype?: WeightFormat };
  return { ...defaultConfig('gora'), ...report.settings, weights: report.weights_dtype ?? report.settings?.weights ?? null };
}

async function readAdapter(runDir: string, targets: Parameters<typeof readPeftAdapter>[2]) {
  const read = (name: string) =>
    readFile(join(runDir, name)).catch(() => {
      throw new UsageError(`${runDir} has no ${name}: pass the folder that finetune --out wrote`);
    });
  return readPeftAdapter(await read(ADAPTER_WEIGHTS), (await read(ADAPTER_CONFIG)).toString('utf8'), targets);
}
