// `gora compare --methods gora,lora --seeds 3 [finetune's training flags] [--out DIR] [--json]`:
// every method × seed one after another on the same model, data, seeds and parameter budget (--rank
// is r_ref for GoRA and the uniform rank of every other adapter), then one table: per method the mean
// ± sample sd over seeds of the final validation loss and label accuracy, trainable parameters, train
// time, peak GPU memory and the rank allocation where the method has one. Every input is checked
// before the GPU is touched.

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { acquireNodeGpu } from '../gpu/node';
import { openAnyModel } from '../model/open';
import { modelKind } from '../train/model-kinds';
import { checkConfig, defaultConfig, type JobConfig, type Method } from '../train/config';
import { JobStopped, runJob } from '../train/job';
import type { JobEvent } from '../train/events';
import { METHOD_NAMES, methodLabel, parseMethods } from '../compare/methods';
import { recordFromJob } from '../compare/record';
import { comparisonReport, comparisonSeeds, type ComparisonReport } from '../compare/report';
import { mergeReports } from '../compare/merge';
import type { RunRecord } from '../compare/summary';
import { comparisonCsv, formatTable } from '../compare/table';
import { UsageError } from './errors';
import { numberFlag } from './flags';
import { DATA_FLAGS, loadData, scores } from './finetune';
import { applyFlags, flagError, flagRows, readFlag, settingOptions } from './setting-flags';
import { modelDirectory } from './logits';
import { dataOrDefault, modelOrDefault } from './defaults';

// finetune's setting flags less those the table keeps to finetune (the methods are --methods; a
// comparison keeps no checkpoints), and --lr, which may also give each method its own rate.
const SETTING_FLAGS = flagRows('compare');
const LR_FLAG = SETTING_FLAGS.find((r) => r.key === 'lr')!;

export async function compareCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...settingOptions(SETTING_FLAGS), ...DATA_FLAGS, model: { type: 'string' }, methods: { type: 'string' }, seeds: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, merge: { type: 'string' } },
    strict: true,
  });
  if (typeof values.merge === 'string') return mergeCommand(values);
  if (typeof values.methods !== 'string') throw new UsageError('compare needs --methods, e.g. --methods gora,lora');
  let methods: Method[];
  let seeds: number[];
  try {
    methods = parseMethods(values.methods);
    seeds = comparisonSeeds(numberFlag(values, 'seed', defaultConfig(methods[0]).seed), numberFlag(values, 'seeds', 1));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const configs = new Map(methods.map((m) => [m, methodConfig(m, values)]));
  const shared = configs.get(methods[0])!;
  const out = typeof values.out === 'string' && values.out !== '' ? values.out : null;
  if (out) {
    const info = await stat(out).catch(() => null);
    if (info && !info.isDirectory()) throw new UsageError(`--out must be a folder, and ${out} is a file`);
  }

  // The model and each seed's data split, all read and checked before the GPU is touched.
  const modelDir = modelOrDefault(values);
  const model = await openAnyModel(await modelDirectory(modelDir));
  for (const method of methods) {
    const problem = modelKind(model).methodProblem(method);
    if (problem) throw new UsageError(`--methods ${method}: ${problem}`);
  }
  const datasets = new Map<number, Awaited<ReturnType<typeof loadData>>>();
  for (const seed of seeds) datasets.set(seed, await loadData(values, model, { seqLen: shared.seqLen, batchSize: shared.batchSize, seed, valFraction: shared.valFraction, separator: shared.separator }));
  const first = datasets.get(seeds[0])!;
  const testRows = first.stats.testRows > 0 ? `, ${first.stats.testRows} test` : '';
  log(`data: ${first.stats.trainRows} training rows, ${first.stats.valRows} validation${testRows} rows of ≤ ${shared.seqLen} tokens${first.labels ? `; labels ${first.labels.labels.map((l) => JSON.stringify(l)).join(' ')}` : ''}`);

  const total = methods.length * seeds.length;
  const records: RunRecord[] = [];
  let stopRequested = false;
  const onInterrupt = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    log('stopping the comparison after this step (Ctrl-C again to quit now)');
  };
  const gpu = await acquireNodeGpu();
  process.on('SIGINT', onInterrupt);
  let stopped: JobStopped | null = null;
  try {
    // Seed by seed, so a stopped comparison has the same seeds for every method it finished.
    for (const seed of seeds) {
      for (const method of methods) {
        const config = { ...configs.get(method)!, seed };
        const tag = `[${records.length + 1}/${total} ${methodLabel(method)} seed ${seed}]`;
        log(`${tag} lr ${config.lr.toExponential(1)}, rank ${config.rank}, ${config.steps} steps`);
        // The peak of this run alone: the device and its pipelines stay, the previous run's buffers are gone.
        gpu.peakBytes = gpu.allocatedBytes;
        const result = await runJob({
          gpu,
          model,
          data: datasets.get(seed)!,
          config,
          emit: (event) => printEvent(tag, event),
          control: {
            checkpoint: async () => {
              if (stopRequested) throw new JobStopped();
            },
          },
        });
        records.push(recordFromJob(result, gpu.peakBytes));
      }
    }
  } catch (error) {
    if (!(error instanceof JobStopped)) throw error;
    stopped = new JobStopped(`stopped during run ${records.length + 1} of ${total}; ${records.length ? 'the table holds the runs that finished' : 'no run finished'}`);
  } finally {
    process.off('SIGINT', onInterrupt);
    gpu.destroy();
  }

  const report = comparisonReport({ settings: shared, methods, seeds, model: resolve(modelDir), data: resolve(dataOrDefault(values)), runs: records });
  if (records.length) await writeComparison(report, out, values.json === true);
  if (stopped) throw stopped;
}

/** Prints the table, writes compare.json and compare.csv to `out`, and prints the JSON line when asked. */
async function writeComparison(report: ComparisonReport, out: string | null, json: boolean): Promise<void> {
  console.log(formatTable(report.summaries));
  if (out) {
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'compare.json'), JSON.stringify(report, null, 2));
    await writeFile(join(out, 'compare.csv'), comparisonCsv(report.summaries));
    log(`wrote compare.json, compare.csv to ${out}`);
  }
  if (json) console.log(JSON.stringify(report));
}

/**
 * `compare --merge DIR,DIR,… [--out DIR] [--json]`: the comparisons those folders hold (their
 * compare.json), of the same settings on different seeds, as one table (../compare/merge.ts).
 */
async function mergeCommand(values: Record<string, unknown>): Promise<void> {
  const others = Object.keys(values).filter((k) => !['merge', 'out', 'json'].includes(k));
  if (others.length) throw new UsageError(`--merge takes only --out and --json, got --${others.join(', --')}`);
  const dirs = (values.merge as string).split(',').filter((d) => d !== '');
  const reports = [];
  for (const dir of dirs) {
    const file = join(dir, 'compare.json');
    const text = await readFile(file, 'utf8').catch(() => {
      throw new UsageError(`${file} cannot be read: --merge takes folders that gora compare --out wrote`);
    });
    let report: ComparisonReport;
    try {
      report = JSON.parse(text) as ComparisonReport;
    } catch (error) {
      throw new UsageError(`${file} is not JSON (${(error as Error).message})`);
    }
    if (!Array.isArray(report?.runs) || !Array.isArray(report.methods) || typeof report.settings !== 'object') {
      throw new UsageError(`${file} holds no comparison (its runs, methods and settings): --merge takes folders that gora compare --out wrote`);
    }
    reports.push({ name: dir, report });
  }
  let merged: ComparisonReport;
  try {
    merged = mergeReports(reports);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  log(`merged ${merged.runs.length} runs of ${reports.length} comparisons: seeds ${merged.seeds.join(', ')}`);
  await writeComparison(merged, typeof values.out === 'string' && values.out !== '' ? values.out : null, values.json === true);
}

/**
 * The method's own defaults (its learning rate, its LoRA+ ratio), then every flag given, which applies
 * to every method alike. The comparison shows no generations unless --generate asks for them.
 */
function methodConfig(method: Method, values: Record<string, unknown>): JobConfig {
  const config = applyFlags(values, SETTING_FLAGS.filter((r) => r !== LR_FLAG), { ...defaultConfig(method), generateSamples: 0 });
  config.lr = methodLr(method, values, config.lr);
  // Nothing to resume from: a comparison run keeps no checkpoints.
  config.checkpointEvery = 0;
  try {
    checkConfig(config);
  } catch (error) {
    throw flagError(error);
  }
  return config;
}

/**
 * `--lr 3e-4` for every method, or `--lr gora=3e-4,lora=2e-3` for some (the others keep their own):
 * methods differ in the step size that suits them, and a fair comparison gives each its own.
 */
function methodLr(method: Method, values: Record<string, unknown>, fallback: number): number {
  const raw = values.lr;
  if (typeof raw !== 'string' || !raw.includes('=')) return readFlag(values, LR_FLAG)?.lr ?? fallback;
  const rates = new Map<string, number>();
  for (const part of raw.split(',')) {
    const [name, rate] = part.split('=').map((x) => x.trim());
    const value = Number(rate);
    if (!METHOD_NAMES.includes(name as Method) || rate === undefined || rate === '' || !(value > 0)) throw new UsageError(`--lr must be a rate or method=rate pairs such as gora=3e-4,lora=2e-3 (methods: ${METHOD_NAMES.join(', ')}), got "${raw}"`);
    rates.set(name, value);
  }
  return rates.get(method) ?? fallback;
}

function log(message: string): void {
  console.error(message);
}

function printEvent(tag: string, event: JobEvent): void {
  switch (event.type) {
    case 'phase':
      if (event.status === 'end') log(`${tag} ${event.phase}: done in ${event.seconds!.toFixed(1)} s`);
      return;
    case 'allocation':
      log(`${tag} allocate: ranks ${event.allocation.layers.map((l) => l.rank).join(' ')}`);
      return;
    case 'step':
      if (event.step === 1 || event.step % 10 === 0 || event.step === event.of) log(`${tag} train: step ${event.step}/${event.of}, loss ${event.loss.toFixed(4)}`);
      return;
    case 'evaluation':
      log(`${tag} evaluate: step ${event.evaluation.step}, validation ${scores(event.evaluation)}`);
      return;
    case 'test':
      log(`${tag} test: ${scores(event.evaluation)}`);
      return;
    default:
      return;
  }
}
