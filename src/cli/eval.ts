// `gora eval --model DIR [--adapter RUN_DIR] --data FILE [--split val|test|all]`: one JSON line with
// the mean token loss, the label accuracy (classification-style data) and the number of examples.
//
// When the data names its splits (src/data/split.ts, as the sentiment sample does), `val` and `test`
// are the file's own and no setting changes them. Otherwise the validation split is the one
// `finetune` held out only when it is cut the same way: same seed, validation share, sequence length
// and data flags. Each setting comes from a flag, else the run's gora_report.json, else finetune's
// default, and stderr says which, so a score is never silently taken on rows the adapter trained on:
// without a report such a split cannot be checked and --split must be given; with one, the split's
// row counts are compared with the run's.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { acquireNodeGpu } from '../gpu/node';
import { openAnyModel } from '../model/open';
import { WEIGHT_FORMATS, type WeightFormat } from '../engine/weight-format';
import { modelKind, storedWeightFormat } from '../train/model-kinds';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, readPeftAdapter } from '../export/peft';
import { defaultConfig, type JobConfig } from '../train/config';
import { scoreRows } from '../train/evaluate';
import type { DatasetStats } from '../data/prepare';
import { SEPARATORS, type Separator } from '../data/separator';
import { UsageError } from './errors';
import { choiceFlag } from './flags';
import { settingFlag, settingOptions } from './setting-flags';
import { DATA_SETTINGS, settingRow } from '../train/settings';
import { DATA_FLAGS, loadData } from './finetune';
import { modelDirectory } from './logits';
import { modelOrDefault } from './defaults';

const REPORT = 'gora_report.json';

/** What eval reads of a run's report: its settings, weights and the split's row counts. */
interface RunReport {
  settings?: Partial<JobConfig>;
  weights_dtype?: WeightFormat;
  data?: { trainRows?: number; valRows?: number };
}

export async function evalCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { ...DATA_FLAGS, ...settingOptions(DATA_SETTINGS.map(settingRow)), model: { type: 'string' }, adapter: { type: 'string' }, split: { type: 'string' }, weights: { type: 'string' } }, strict: true });
  const split = choiceFlag(values, 'split', ['val', 'test', 'all'] as const, 'val');
  const model = await openAnyModel(await modelDirectory(modelOrDefault(values)));
  const kind = modelKind(model);
  const runDir = values.adapter;
  const report = runDir ? await readReport(runDir) : null;

  // Each setting with where it came from, printed before anything is scored.
  const defaults = defaultConfig('gora');
  const setting = (flag: string, key: 'seed' | 'valFraction' | 'seqLen' | 'batchSize') => {
    if (values[flag as keyof typeof values] !== undefined) return { value: settingFlag(values, key, defaults), from: 'flag' };
    const reported = report?.settings?.[key];
    return typeof reported === 'number' ? { value: reported, from: REPORT } : { value: defaults[key], from: 'default' };
  };
  const seed = setting('seed', 'seed');
  const valFraction = split === 'all' ? { value: 0, from: '--split all' } : setting('val-fraction', 'valFraction');
  const seqLen = setting('seq-len', 'seqLen');
  const batchSize = setting('batch-size', 'batchSize');
  const separator = separatorSetting(values, report, defaults);
  // An adapter is evaluated on the weights it was trained on (the report's format) unless told otherwise.
  const reportedFormat = report?.weights_dtype ?? report?.settings?.weights ?? null;
  const format =
    values.weights !== undefined
      ? { value: choiceFlag(values, 'weights', WEIGHT_FORMATS, 'f32'), from: 'flag' }
      : reportedFormat
        ? { value: reportedFormat, from: REPORT }
        : { value: storedWeightFormat(model), from: "the checkpoint's dtype" };
  let weightsFormat: WeightFormat;
  try {
    // The model's kind may hold its weights in one format only (T5: f32).
    weightsFormat = kind.weightFormat({ ...defaults, weights: format.value }, model);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const shown = (name: string, s: { value: number | string; from: string }) => `${name} ${s.value} (${s.from})`;
  const data = await loadData(values, model, { seqLen: seqLen.value, batchSize: batchSize.value, seed: seed.value, valFraction: valFraction.value, separator: separator.value });
  // Splits the data names itself take no seed and no fraction: saying which were used would mislead.
  const splitSettings = data.stats.splitFrom === 'file' ? ['splits named by the data'] : [shown('seed', seed), shown('val-fraction', valFraction)];
  log(`eval: ${[...splitSettings, shown('seq-len', seqLen), shown('batch-size', batchSize), shown('weights', format), shown('separator', separator)].join(', ')}`);
  if (runDir && !report && values.split === undefined && data.stats.splitFrom === 'seed') {
    throw new UsageError(
      `${runDir} has no ${REPORT}, so the rows the adapter trained on cannot be known: pass --split val with the --seed, --val-fraction and --seq-len (and data flags) the run used, or --split all to score every row, training rows included`,
    );
  }
  const rows = split === 'all' ? [...data.train, ...data.val, ...data.test] : split === 'test' ? data.test : data.val;
  if (rows.length === 0) {
    throw new UsageError(
      split === 'test'
        ? 'the data names no test split (a "split": "test" on some records): use --split val'
        : data.stats.splitFrom === 'file'
          ? 'the data names no validation split (a "split": "validation" on some records): use --split test or all'
          : 'the validation split is empty: use --split all or a larger --val-fraction',
    );
  }
  if (runDir) log(`eval: ${heldOut(split, report, data.stats, { seed: seed.value, valFraction: valFraction.value, seqLen: seqLen.value })}`);

  const adapters = runDir ? await readAdapter(runDir, model.targets) : null;
  const gpu = await acquireNodeGpu();
  const built = await kind.build(gpu, model, { B: batchSize.value, S: seqLen.value, T: data.targetLen }, weightsFormat, () => {});
  for (const [name, a] of adapters ?? []) built.model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
  const { loss, accuracy } = await scoreRows(built.model, rows, data.labels, data.layout);
  built.release();
  gpu.destroy();
  console.log(JSON.stringify({ loss, accuracy, examples: rows.length }));
}

/**
 * The separator the run's data was joined with, so its examples are scored as they were trained: the
 * flag, else the report's; a report written before the setting existed comes from a run that put
 * nothing between prompt and completion.
 */
function separatorSetting(values: Record<string, unknown>, report: RunReport | null, defaults: JobConfig): { value: Separator; from: string } {
  if (values.separator !== undefined) return { value: settingFlag(values, 'separator', defaults), from: 'flag' };
  const reported = report?.settings?.separator;
  if (reported !== undefined) {
    if (!SEPARATORS.includes(reported)) throw new UsageError(`${REPORT} names the separator ${JSON.stringify(reported)}, which is not one of ${SEPARATORS.join(', ')}: pass --separator`);
    return { value: reported, from: REPORT };
  }
  return report ? { value: 'none', from: `${REPORT}, from before the setting` } : { value: defaults.separator, from: 'default' };
}

/** Whether the rows scored are known to be held out from the adapter's training, in one line. */
export function heldOut(
  split: 'val' | 'test' | 'all',
  report: RunReport | null,
  stats: Pick<DatasetStats, 'trainRows' | 'valRows' | 'testRows' | 'splitFrom'>,
  used: Pick<JobConfig, 'seed' | 'valFraction' | 'seqLen'>,
): string {
  if (split === 'all') return 'WARNING: --split all scores every row, including the rows the adapter trained on';
  if (stats.splitFrom === 'file') {
    const rows = split === 'test' ? `${stats.testRows} test` : `${stats.valRows} validation`;
    return `scoring the ${rows} rows the data file names (its own split: no seed or share changes it)`;
  }
  if (!report) return `WARNING: without ${REPORT} this split cannot be checked: it is the run's held-out split only if --seed, --val-fraction, --seq-len and the data flags are the run's`;
  const flags = { seed: '--seed', valFraction: '--val-fraction', seqLen: '--seq-len' } as const;
  const changed = (Object.keys(flags) as Array<keyof typeof flags>).filter((key) => report.settings?.[key] !== undefined && report.settings[key] !== used[key]);
  if (changed.length > 0) {
    return `WARNING: ${changed.map((key) => `${flags[key]} ${used[key]} (the run's: ${report.settings![key]})`).join(', ')} cut another split than the run's: these rows may include rows the adapter trained on`;
  }
  const { trainRows, valRows } = report.data ?? {};
  if (trainRows !== stats.trainRows || valRows !== stats.valRows) {
    return `WARNING: this split has ${stats.trainRows} training and ${stats.valRows} validation rows, the run had ${trainRows ?? '?'} and ${valRows ?? '?'}: it is not the run's held-out split and may hold rows the adapter trained on (check the data file and flags)`;
  }
  return `scoring the ${stats.valRows} validation rows the run held out (its seed, share and length, and the same row counts as ${REPORT})`;
}

async function readReport(runDir: string): Promise<RunReport | null> {
  const text = await readFile(join(runDir, REPORT), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as RunReport;
  } catch (error) {
    throw new UsageError(`${join(runDir, REPORT)} is not valid JSON (${(error as Error).message}): restore it, or remove it and pass --split with the run's settings`);
  }
}

export async function readAdapter(runDir: string, targets: Parameters<typeof readPeftAdapter>[2]) {
  const read = (name: string) =>
    readFile(join(runDir, name)).catch(() => {
      throw new UsageError(`${runDir} has no ${name}: pass the folder that finetune --out wrote`);
    });
  return readPeftAdapter(await read(ADAPTER_WEIGHTS), (await read(ADAPTER_CONFIG)).toString('utf8'), targets);
}

function log(message: string): void {
  console.error(message);
}
