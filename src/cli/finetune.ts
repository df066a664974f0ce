// `gora finetune --model DIR --data FILE --method gora|lora|rslora|lora-ga|pissa|full --out DIR [hyper-parameters]`: the
// whole job headless, writing the run directory (with --method full, the trained model folder in place
// of the adapter). Bad data or flags fail before any GPU work. While it trains, the run directory
// holds a checkpoint; `finetune --resume DIR` continues it, and a finished run removes it.

import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareDataset, type PrepareOptions } from '../data/prepare';
import { DATA_FORMATS, type DataFormat } from '../data/parse';
import { acquireNodeGpu } from '../gpu/node';
import { openAnyModel, type AnyOpenedModel } from '../model/open';
import { modelKind, planForDevice } from '../train/model-kinds';
import { readCompanionFiles } from '../export/full-model';
import { exportRunFiles } from '../export/run-files';
import { datasetWarnings } from '../data/warnings';
import { baseModelName } from '../export/base-model';
import { checkConfig, defaultConfig, needsScan, type JobConfig } from '../train/config';
import { CHECKPOINT_STATE, CHECKPOINT_TENSORS, readCheckpoint, resumeProblem, type Checkpoint } from '../train/checkpoint';
import { GpuError } from '../gpu/errors';
import { JobStopped, NumericalFault, runJob, type JobResult } from '../train/job';
import type { Evaluation, JobEvent } from '../train/events';
import { UsageError } from './errors';
import { byteSizeFlag, choiceFlag, requiredFlag } from './flags';
import { applyFlags, flagError, flagRows, methodFlag, resumeFlags, settingOptions } from './setting-flags';
import type { Gpu } from '../gpu/gpu';
import { deviceBudget, RunDoesNotFit } from '../train/memory-plan';
import { modelDirectory } from './logits';
import { dataOrDefault, modelOrDefault } from './defaults';
import { loadProgressPrinter } from './progress';
import { estimateText } from '../train/run-time';

/** Where the data comes from: the flags every command that reads data takes besides its settings. */
export const DATA_FLAGS = {
  data: { type: 'string' },
  format: { type: 'string' },
  'prompt-column': { type: 'string' },
  'completion-column': { type: 'string' },
  'text-column': { type: 'string' },
  packing: { type: 'boolean' },
} as const;

/** Where the data comes from besides the settings in JobConfig: kept in each checkpoint for --resume. */
const DATA_SOURCE_FLAGS = ['format', 'prompt-column', 'completion-column', 'text-column', 'packing'] as const;

/** The CLI's record of a run's inputs, stored in its checkpoints (JobInputs.origin). */
interface CliOrigin {
  model: string;
  data: string;
  dataFlags: Record<string, unknown>;
}

export async function finetuneCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...settingOptions(flagRows('finetune')), ...DATA_FLAGS, model: { type: 'string' }, out: { type: 'string' }, 'save-init': { type: 'boolean' }, 'save-scan': { type: 'boolean' }, resume: { type: 'string' }, 'gpu-memory': { type: 'string' } },
    strict: true,
  });
  const resumeDir = values.resume === undefined ? null : requiredFlag(values, 'resume', 'finetune');
  const checkpoint = resumeDir ? await readCheckpointDir(resumeDir) : null;
  let config = checkpoint ? resumedConfig(values, checkpoint) : newConfig(values);
  const gpuMemory = byteSizeFlag(values, 'gpu-memory');
  const { method } = config;
  try {
    checkConfig(config);
  } catch (error) {
    throw flagError(error);
  }
  if (values['save-scan'] && checkpoint) throw new UsageError('--save-scan cannot be used with --resume: the scan is not repeated, and its gradients are not in the checkpoint');
  if (values['save-scan'] && !needsScan(method)) throw new UsageError(`--save-scan needs --method gora or lora-ga (${method} has no scan)`);
  if (values['save-init'] && method === 'full') throw new UsageError('--save-init needs an adapter method: full training has no initial adapter');
  const out = resumeDir && values.out === undefined ? resumeDir : requiredFlag(values, 'out', 'finetune');
  const origin = checkpoint ? cliOrigin(checkpoint) : null;
  const modelDir = typeof values.model === 'string' && values.model !== '' ? values.model : (origin?.model ?? modelOrDefault(values));
  const dataValues = origin ? { ...origin.dataFlags, ...values, data: values.data ?? origin.data } : values;

  // Everything that can be wrong with the inputs is found here, before the GPU is touched.
  const modelFiles = await modelDirectory(modelDir);
  const model = await openAnyModel(modelFiles);
  const methodProblem = modelKind(model).methodProblem(method);
  if (methodProblem) throw new UsageError(`--method ${method}: ${methodProblem}`);
  let data = await loadData(dataValues, model, config);
  const testRows = data.stats.testRows > 0 ? `, ${data.stats.testRows} test` : '';
  const named = data.stats.splitFrom === 'file' ? ' (the splits the file names)' : '';
  log(`data: ${data.stats.trainRows} training rows, ${data.stats.valRows} validation${testRows} rows${named} of ≤ ${config.seqLen} tokens (${data.stats.truncated} truncated, ${data.stats.dropped} dropped)${data.labels ? `; labels ${data.labels.labels.map((l) => JSON.stringify(l)).join(' ')}` : ''}`);
  for (const warning of datasetWarnings(data.stats, config.seqLen)) log(`data: WARNING: ${warning}`);
  const problem = checkpoint && resumeProblem(checkpoint, config, data);
  if (problem) throw new UsageError(`--resume ${resumeDir}: ${problem}`);
  const outInfo = await stat(out).catch(() => null);
  if (outInfo && !outInfo.isDirectory()) throw new UsageError(`--out must be a folder, and ${out} is a file`);
  if (!checkpoint && outInfo && (await stat(join(out, CHECKPOINT_STATE)).catch(() => null))) {
    throw new UsageError(`${out} holds the checkpoint of an unfinished run: continue it with --resume ${out}, or choose another --out`);
  }
  await mkdir(out, { recursive: true });

  // Written beside the final files; the tensors first and then the state naming them, each through a
  // rename, so an interrupted save leaves the previous checkpoint or a pair readCheckpoint refuses.
  let savedIn: string | null = null;
  const saveCheckpoint = async (files: Map<string, Uint8Array>): Promise<string> => {
    for (const name of [CHECKPOINT_TENSORS, CHECKPOINT_STATE]) {
      await writeFile(join(out, `${name}.partial`), files.get(name)!);
      await rename(join(out, `${name}.partial`), join(out, name));
    }
    savedIn = out;
    return out;
  };
  // Ctrl-C stops after the current step with a checkpoint; a second one quits at once.
  let stopRequested = false;
  let lastStep = checkpoint?.step ?? 0;
  const onInterrupt = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    log('stopping after this step to save a checkpoint (Ctrl-C again to quit now)');
  };
  const printLoad = loadProgressPrinter(log);
  const emit = (event: JobEvent) => {
    if (event.type === 'step') lastStep = event.step;
    printLoad(event);
    printEvent(event);
  };
  const dataFlags = Object.fromEntries(DATA_SOURCE_FLAGS.filter((f) => dataValues[f] !== undefined).map((f) => [f, dataValues[f]]));
  const runOrigin: CliOrigin = { model: resolve(modelDir), data: resolve(dataOrDefault(dataValues)), dataFlags };

  const gpu = await acquireNodeGpu();
  process.on('SIGINT', onInterrupt);
  let result: JobResult;
  try {
    const plan = fitToGpu(model, config, gpu, gpuMemory, Boolean(checkpoint));
    log(plan.description);
    if (plan.config.batchSize !== config.batchSize) data = await loadData(dataValues, model, plan.config);
    config = plan.config;
    result = await runJob({
      gpu,
      model,
      data,
      config,
      emit,
      keepScanGradients: Boolean(values['save-scan']),
      saveCheckpoint,
      resume: checkpoint ?? undefined,
      origin: { ...runOrigin },
      control: {
        checkpoint: async () => {
          if (stopRequested) throw new JobStopped();
        },
        interrupted: () => stopRequested,
      },
    });
  } catch (error) {
    throw withResumeHint(error, savedIn ?? resumeDir, lastStep, config.steps);
  } finally {
    process.off('SIGINT', onInterrupt);
    gpu.destroy();
  }

  const companionFiles = method === 'full' ? await readCompanionFiles(modelFiles) : undefined;
  const files = exportRunFiles(emit, result, model, data, baseModelName(model.config, basename(resolve(modelDir))), { saveInit: Boolean(values['save-init']), saveScan: Boolean(values['save-scan']), companionFiles });
  for (const [name, bytes] of files) await writeFile(join(out, name), bytes);
  log(`wrote ${[...files.keys()].join(', ')} to ${out}`);
  // The run is complete: its checkpoint has nothing left to continue.
  for (const name of [CHECKPOINT_TENSORS, CHECKPOINT_STATE]) await rm(join(out, name), { force: true });
}

/**
 * The micro-batch that fits this GPU (memory-plan.ts). A resumed run keeps its checkpoint's, which
 * was planned when it started; only if that no longer fits is it refused.
 */
function fitToGpu(model: AnyOpenedModel, config: JobConfig, gpu: Gpu, memory: number | null, resumed: boolean): ReturnType<typeof planForDevice> {
  let plan: ReturnType<typeof planForDevice>;
  try {
    plan = planForDevice(model, config, deviceBudget(gpu.info.limits, memory));
  } catch (error) {
    throw error instanceof RunDoesNotFit ? new UsageError(error.message) : error;
  }
  if (resumed && plan.plan?.reason) throw new UsageError(`the checkpoint's micro-batch of ${config.batchSize} rows no longer fits: ${plan.plan.reason}; continue it on a GPU with more memory (or a larger --gpu-memory)`);
  return plan;
}

/** The method's defaults (settings.ts), with every setting flag given. */
export function newConfig(values: Record<string, unknown>): JobConfig {
  return applyFlags(values, flagRows('finetune'), defaultConfig(methodFlag(values)));
}

/**
 * The checkpoint's settings, with the few that do not change the training (the table's resumable
 * ones: evaluation, generation, checkpoint interval) taken from the flags; any other flag, the data
 * source's included, must repeat the checkpoint's value.
 */
function resumedConfig(values: Record<string, unknown>, checkpoint: Checkpoint): JobConfig {
  const refuse = (flag: string, given: unknown, was: unknown) =>
    new UsageError(`--${flag} ${String(given)} would change the training that --resume continues (the run used ${String(was)}): leave it out, or start a new run in another --out`);
  const config = resumeFlags(values, checkpoint.config, refuse);
  const origin = cliOrigin(checkpoint);
  for (const flag of DATA_SOURCE_FLAGS) {
    const given = values[flag];
    const was = origin?.dataFlags[flag];
    if (given !== undefined && given !== (was ?? (flag === 'packing' ? false : undefined))) throw refuse(flag, given, was ?? 'the default');
  }
  return config;
}

async function readCheckpointDir(dir: string): Promise<Checkpoint> {
  const files = new Map<string, Uint8Array>();
  for (const name of [CHECKPOINT_STATE, CHECKPOINT_TENSORS]) {
    const bytes = await readFile(join(dir, name)).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(error.code === 'ENOENT' ? `--resume ${dir}: there is no ${name} there (is it the --out folder of an unfinished run?)` : `cannot read ${join(dir, name)}: ${error.message}`);
    });
    files.set(name, bytes);
  }
  return readCheckpoint(files);
}

function cliOrigin(checkpoint: Checkpoint): CliOrigin | null {
  const o = checkpoint.origin;
  if (!o || typeof o.model !== 'string' || typeof o.data !== 'string') return null;
  return { model: o.model, data: o.data, dataFlags: typeof o.dataFlags === 'object' && o.dataFlags ? (o.dataFlags as Record<string, unknown>) : {} };
}

/** The job's error with how to continue: where the checkpoint is and the command that resumes it. */
function withResumeHint(error: unknown, dir: string | null, lastStep: number, steps: number): unknown {
  const resume = dir ? `finetune --resume ${dir}` : null;
  if (error instanceof JobStopped) {
    return new JobStopped(resume ? `stopped after step ${lastStep} of ${steps}; the checkpoint is in ${dir}: continue with ${resume}` : 'stopped before training started; nothing was saved');
  }
  if (error instanceof GpuError && (error.kind === 'device-lost' || error.kind === 'out-of-memory') && resume) {
    const hinted = new GpuError(error.kind, `${error.message} Continue with: ${resume}`);
    hinted.stack = error.stack;
    return hinted;
  }
  if (error instanceof NumericalFault && dir) {
    // A new run into the same folder is refused while it holds the checkpoint (see finetuneCommand).
    const hinted = new NumericalFault(error.step, error.what, `${error.message} Give the new run another --out: ${dir} keeps the checkpoint.`, error.lastCheckpoint);
    hinted.stack = error.stack;
    return hinted;
  }
  return error;
}

/** Reads and prepares --data for this model and settings; data problems become usage errors (exit 2). */
export async function loadData(values: Record<string, unknown>, model: AnyOpenedModel, settings: Pick<PrepareOptions, 'seqLen' | 'batchSize' | 'seed' | 'valFraction' | 'separator'>) {
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
  const seq2seq = modelKind(model).seq2seq(model) ?? undefined;
  return prepareDataset(text, basename(file), model.tokenizer, { ...settings, format, columns, packing: Boolean(values.packing), seq2seq });
}

function log(message: string): void {
  console.error(message);
}

/** "loss 0.4123, accuracy 61.9%" (without the accuracy when the data has no labels). */
export function scores(e: Evaluation): string {
  return `loss ${e.loss.toFixed(4)}${e.accuracy === null ? '' : `, accuracy ${(100 * e.accuracy).toFixed(1)}%`}`;
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
    case 'estimate':
      log(`estimate after step ${event.step}: ${estimateText(event)}`);
      return;
    case 'evaluation':
      log(`evaluate: step ${event.evaluation.step}, validation ${scores(event.evaluation)}`);
      return;
    case 'test':
      log(`test: ${scores(event.evaluation)} on the data's test split (${event.evaluation.examples} examples)`);
      return;
    case 'log':
      log(event.message);
      return;
    case 'generations':
      for (const s of event.samples) log(`generate: ${JSON.stringify(s.prompt)} → base ${JSON.stringify(s.base)} | adapted ${JSON.stringify(s.adapted)}`);
      return;
    default:
      return;
  }
}
