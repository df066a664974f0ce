// `gora finetune --model DIR --data FILE --method gora|lora|full --out DIR [hyper-parameters]`: the
// whole job headless, writing the run directory (with --method full, the trained model folder in place
// of the adapter). Bad data or flags fail before any GPU work.

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareDataset, type PrepareOptions } from '../data/prepare';
import { DATA_FORMATS, type DataFormat } from '../data/parse';
import { acquireNodeGpu } from '../gpu/node';
import { openModel, type OpenedModel } from '../model/load';
import { readCompanionFiles } from '../export/full-model';
import { runFiles } from '../export/run-files';
import { checkConfig, defaultConfig, type JobConfig } from '../train/config';
import { runJob } from '../train/job';
import type { JobEvent } from '../train/events';
import { UsageError } from './errors';
import { choiceFlag, numberFlag, requiredFlag } from './flags';
import { modelDirectory } from './logits';
import { dataOrDefault, modelOrDefault } from './defaults';

export const DATA_FLAGS = {
  data: { type: 'string' },
  format: { type: 'string' },
  'prompt-column': { type: 'string' },
  'completion-column': { type: 'string' },
  'text-column': { type: 'string' },
  packing: { type: 'boolean' },
  'seq-len': { type: 'string' },
  'batch-size': { type: 'string' },
  seed: { type: 'string' },
  'val-fraction': { type: 'string' },
} as const;

const NUMBER_FLAGS: Array<[string, keyof JobConfig]> = [
  ['steps', 'steps'],
  ['batch-size', 'batchSize'],
  ['grad-accum', 'gradAccum'],
  ['seq-len', 'seqLen'],
  ['lr', 'lr'],
  ['rank', 'rank'],
  ['rank-min', 'rankMin'],
  ['rank-max', 'rankMax'],
  ['alpha', 'alpha'],
  ['gamma', 'gamma'],
  ['scan-batches', 'scanBatches'],
  ['lora-plus-ratio', 'loraPlusRatio'],
  ['warmup', 'warmupFraction'],
  ['min-lr-ratio', 'minLrRatio'],
  ['max-grad-norm', 'maxGradNorm'],
  ['weight-decay', 'weightDecay'],
  ['seed', 'seed'],
  ['val-fraction', 'valFraction'],
  ['eval-every', 'evalEvery'],
  ['eval-batches', 'evalBatches'],
  ['generate', 'generateSamples'],
  ['max-new-tokens', 'maxNewTokens'],
];

export async function finetuneCommand(argv: string[]): Promise<void> {
  const options = Object.fromEntries(NUMBER_FLAGS.map(([flag]) => [flag, { type: 'string' as const }]));
  const { values } = parseArgs({
    args: argv,
    options: { ...options, ...DATA_FLAGS, model: { type: 'string' }, method: { type: 'string' }, out: { type: 'string' }, features: { type: 'string' }, 'save-init': { type: 'boolean' }, 'save-scan': { type: 'boolean' } },
    strict: true,
  });
  const method = choiceFlag(values, 'method', ['gora', 'lora', 'full'] as const, 'gora');
  const config = defaultConfig(method);
  for (const [flag, key] of NUMBER_FLAGS) (config as unknown as Record<string, unknown>)[key] = numberFlag(values, flag, config[key] as number);
  config.features = choiceFlag(values, 'features', ['id', 'sqrt', 'log1p'] as const, config.features);
  try {
    checkConfig(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values['save-scan'] && method !== 'gora') throw new UsageError(`--save-scan needs --method gora (${method} has no scan)`);
  if (values['save-init'] && method === 'full') throw new UsageError('--save-init needs an adapter method (gora or lora): full training has no initial adapter');
  const out = requiredFlag(values, 'out', 'finetune');
  const modelDir = modelOrDefault(values);

  // Everything that can be wrong with the inputs is found here, before the GPU is touched.
  const modelFiles = await modelDirectory(modelDir);
  const model = await openModel(modelFiles);
  const data = await loadData(values, model, config);
  log(`data: ${data.stats.trainRows} training rows, ${data.stats.valRows} validation rows of ≤ ${config.seqLen} tokens (${data.stats.truncated} truncated, ${data.stats.dropped} dropped)${data.labels ? `; labels ${data.labels.labels.map((l) => JSON.stringify(l)).join(' ')}` : ''}`);
  const outInfo = await stat(out).catch(() => null);
  if (outInfo && !outInfo.isDirectory()) throw new UsageError(`--out must be a folder, and ${out} is a file`);

  const gpu = await acquireNodeGpu();
  const result = await runJob({ gpu, model, data, config, emit: printEvent, keepScanGradients: Boolean(values['save-scan']) });
  gpu.destroy();

  await mkdir(out, { recursive: true });
  const companionFiles = method === 'full' ? await readCompanionFiles(modelFiles) : undefined;
  const files = runFiles(result, model, data, basename(resolve(modelDir)), { saveInit: Boolean(values['save-init']), saveScan: Boolean(values['save-scan']), companionFiles });
  for (const [name, bytes] of files) await writeFile(join(out, name), bytes);
  log(`wrote ${[...files.keys()].join(', ')} to ${out}`);
}

/** Reads and prepares --data for this model and settings; data problems become usage errors (exit 2). */
export async function loadData(values: Record<string, unknown>, model: OpenedModel, settings: Pick<PrepareOptions, 'seqLen' | 'batchSize' | 'seed' | 'valFraction'>) {
  const file = dataOrDefault(values);
  if (!model.tokenizer) throw new UsageError('the model folder has no tokenizer.json, which the data needs');
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(error.code === 'ENOENT' ? `data file not found: ${file}` : `cannot read ${file}: ${error.message}`);
  });
  const format = values.format === undefined ? undefined : choiceFlag(values, 'format', DATA_FORMATS, 'jsonl' as DataFormat);
  const columns =
    typeof values['text-column'] === 'string'
      ? { textColumn: values['text-column'] }
      : typeof values['prompt-column'] === 'string' || typeof values['completion-column'] === 'string'
        ? { promptColumn: String(values['prompt-column'] ?? 'prompt'), completionColumn: String(values['completion-column'] ?? 'completion') }
        : undefined;
  return prepareDataset(text, basename(file), model.tokenizer, { ...settings, format, columns, packing: Boolean(values.packing) });
}

function log(message: string): void {
  console.error(message);
}

function printEvent(event: JobEvent): void {
  switch (event.type) {
    case 'phase':
      if (event.status === 'end') log(`${event.phase}: done in ${event.seconds!.toFixed(1)} s`);
      return;
    case 'scan-batch':
      log(`scan: batch ${event.batch}/${event.of}, loss ${event.loss.toFixed(4)}`);
      return;
    case 'allocation': {
      const a = event.allocation;
      log(`allocate: ranks ${a.layers.map((l) => l.rank).join(' ')}; ${a.trainableParameters} trainable parameters (uniform LoRA at r_ref: ${a.targetParameters})`);
      return;
    }
    case 'init':
      log(`initialise: scan-batch loss ${event.baseLoss.toFixed(4)} (base) → ${event.initLoss.toFixed(4)} (initial adapter)`);
      return;
    case 'step':
      if (event.step === 1 || event.step % 10 === 0 || event.step === event.of) {
        log(`train: step ${event.step}/${event.of}, loss ${event.loss.toFixed(4)}, lr ${event.lr.toExponential(2)}, ${event.tokensPerSecond.toFixed(0)} tokens/s`);
      }
      return;
    case 'evaluation':
      log(`evaluate: step ${event.evaluation.step}, validation loss ${event.evaluation.loss.toFixed(4)}${event.evaluation.accuracy === null ? '' : `, accuracy ${(100 * event.evaluation.accuracy).toFixed(1)}%`}`);
      return;
    case 'generations':
      for (const s of event.samples) log(`generate: ${JSON.stringify(s.prompt)} → base ${JSON.stringify(s.base)} | adapted ${JSON.stringify(s.adapted)}`);
      return;
    default:
      return;
  }
}
