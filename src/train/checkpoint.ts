// Checkpoints: everything a run needs to continue exactly where it stopped, as two files —
// checkpoint.safetensors (every tensor) and checkpoint.json (everything else). Both are made and read
// by pure functions of bytes, so the client decides where they live (the CLI's run directory, OPFS in
// a browser).
//
// No random-number state is saved, and none is needed: the batch of step s is a pure function of
// (seed, schedule.positionAt(s · gradAccum)) (src/data/dataset.ts), the learning rate a pure function
// of s (schedule.ts), AdamW's bias correction uses t = s + 1, and the adapters' random initialisation
// happened before step 0 and is saved as its result. The step count is therefore the data position;
// checkpoint.json spells that position out only for people reading it.

import type { Allocation } from '../gora/allocate';
import type { ScanResult } from '../gora/scan';
import type { MomentState } from '../engine/optimizer';
import type { PreparedDataset } from '../data/prepare';
import { memorySource } from '../model/bytes';
import { ModelFormatError } from '../model/errors';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from '../model/safetensors';
import type { InitialAdapter } from './adapters';
import type { JobConfig } from './config';
import { RESUMABLE_SETTINGS, SETTINGS } from './settings';
import type { Evaluation } from './events';
import type { StepRecord } from './job';

/**
 * Steps between checkpoints as a run takes them: the setting, unless it would leave the run without
 * one before its end (a 12-step run at the default 25); then every quarter of the steps, so a reload
 * or a lost device never costs a short run all of its training. 0 stays 0 (only when stopped).
 */
export function checkpointInterval(config: Pick<JobConfig, 'checkpointEvery' | 'steps'>): number {
  if (config.checkpointEvery <= 0 || config.checkpointEvery < config.steps) return config.checkpointEvery;
  return Math.max(1, Math.ceil(config.steps / 4));
}

export const CHECKPOINT_TENSORS = 'checkpoint.safetensors';
export const CHECKPOINT_STATE = 'checkpoint.json';
const FORMAT = 'gora-checkpoint';
const VERSION = 1;

/** What identifies the prepared data, so a resume cannot silently train on other batches. */
export interface DataIdentity {
  file: string;
  trainRows: number;
  valRows: number;
  batchesPerEpoch: number;
  /** FNV-1a (32 bit, hex) of every row's token ids and label mask, training rows then validation rows. */
  fingerprint: string;
}

export interface Checkpoint {
  /** Optimizer steps completed: training continues with step index `step`, AdamW's t = step + 1. */
  step: number;
  config: JobConfig;
  /** Adapter methods: the adapters as trained so far, by target name (empty in full training). */
  adapters: Map<string, InitialAdapter>;
  /** The adapters as initialised (for --save-init and the report), by target name. */
  initial: Map<string, InitialAdapter>;
  /** Full training: every weight as trained so far, by canonical name, engine layout; null otherwise. */
  weights: Map<string, Float32Array> | null;
  /** AdamW's first and second moments by optimizer group name. */
  moments: Record<string, MomentState>;
  /** GoRA: the scan's importances and losses and the allocation trained with (no new scan on resume). */
  scan: ScanResult | null;
  allocation: Allocation | null;
  initCheck: { baseLoss: number; initLoss: number } | null;
  /** Every step's loss and learning rate so far, and the evaluations made so far. */
  steps: StepRecord[];
  evaluations: Evaluation[];
  data: DataIdentity;
  /** The client's record of where the model and data came from (the CLI: paths and data flags). */
  origin: Record<string, unknown> | null;
}

/** Settings that do not change what is trained, so a resume may change them (the table's `resumable`); every other one is refused. */
export { RESUMABLE_SETTINGS };

/** The settings of `given` that change the training and differ from the checkpoint's. */
export function changedSettings(saved: JobConfig, given: JobConfig): Array<keyof JobConfig> {
  const keys = new Set([...Object.keys(saved), ...Object.keys(given)] as Array<keyof JobConfig>);
  return [...keys].filter((k) => !RESUMABLE_SETTINGS.includes(k) && !Object.is(saved[k] ?? null, given[k] ?? null));
}

export function dataIdentity(data: PreparedDataset): DataIdentity {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    for (let shift = 0; shift < 32; shift += 8) h = Math.imul(h ^ ((x >>> shift) & 0xff), 0x01000193);
  };
  for (const row of [...data.train, ...data.val]) {
    mix(row.ids.length);
    row.ids.forEach(mix);
    row.mask.forEach(mix);
  }
  return { file: data.file, trainRows: data.train.length, valRows: data.val.length, batchesPerEpoch: data.batchesPerEpoch, fingerprint: (h >>> 0).toString(16).padStart(8, '0') };
}

/** Why this checkpoint cannot continue with this config and data, or null when it can. */
export function resumeProblem(checkpoint: Checkpoint, config: JobConfig, data: PreparedDataset): string | null {
  const changed = changedSettings(checkpoint.config, config);
  if (changed.length > 0) {
    const list = changed.map((k) => `${SETTINGS[k].label} (checkpoint ${JSON.stringify(checkpoint.config[k])}, now ${JSON.stringify(config[k])})`).join(', ');
    return `the checkpoint's run cannot continue with other training settings: ${list}`;
  }
  const now = dataIdentity(data);
  const was = checkpoint.data;
  if (now.fingerprint !== was.fingerprint || now.trainRows !== was.trainRows || now.valRows !== was.valRows || now.batchesPerEpoch !== was.batchesPerEpoch) {
    return `the data is not what the checkpoint trained on (${was.file}: ${was.trainRows} training and ${was.valRows} validation rows, fingerprint ${was.fingerprint}; now ${now.file}: ${now.trainRows} and ${now.valRows}, fingerprint ${now.fingerprint}): use the same data file and data settings`;
  }
  if (checkpoint.step > config.steps) return `the checkpoint is at step ${checkpoint.step}, past the run's ${config.steps} steps`;
  return null;
}

/** checkpoint.json: the checkpoint less its tensors, which it lists by name. */
interface CheckpointState {
  format: typeof FORMAT;
  version: typeof VERSION;
  step: number;
  /** For people reading the file: the position of the next batch, which a resume recomputes from the step. */
  next_batch: { note: string; epoch: number; index: number };
  config: JobConfig;
  /** Rank and scale by target name; A and B are the tensors `adapter.<name>.A` / `.B` ([r, in], [out, r]). */
  adapters: Record<string, { rank: number; scale: number }>;
  /** The same for the initial adapters, tensors `initial.<name>.A` / `.B`. */
  initial: Record<string, { rank: number; scale: number }>;
  /** Full training: weight names, tensors `weight.<name>` (flat, engine layout). */
  weights: string[] | null;
  /** Optimizer group names, tensors `moment.<group>.m` / `.v`. */
  moments: string[];
  /** AdamW updates taken (its t): equal to step, since a step the optimizer skips ends the run. */
  adamw_t: number;
  scan: ScanResult | null;
  allocation: Allocation | null;
  initCheck: Checkpoint['initCheck'];
  steps: StepRecord[];
  evaluations: Evaluation[];
  data: DataIdentity;
  origin: Record<string, unknown> | null;
  /** The tensor file's size, so that files from two different saves are not mixed. */
  tensors: { file: string; bytes: number };
}

/** The two files of a checkpoint, as bytes. */
export function checkpointFiles(c: Checkpoint): Map<string, Uint8Array> {
  const tensors: TensorToWrite[] = [];
  const f32 = (name: string, shape: number[], data: Float32Array) => tensors.push({ name, dtype: 'F32', shape, data });
  const adapterShapes = (prefix: string, adapters: Map<string, InitialAdapter>) => {
    for (const [name, a] of adapters) {
      f32(`${prefix}.${name}.A`, [a.rank, a.A.length / a.rank], a.A); // [r, in]
      f32(`${prefix}.${name}.B`, [a.B.length / a.rank, a.rank], a.B); // [out, r]
    }
  };
  adapterShapes('adapter', c.adapters);
  adapterShapes('initial', c.initial);
  for (const [name, w] of c.weights ?? []) f32(`weight.${name}`, [w.length], w);
  for (const [group, { m, v }] of Object.entries(c.moments)) {
    f32(`moment.${group}.m`, [m.length], m);
    f32(`moment.${group}.v`, [v.length], v);
  }
  const tensorBytes = writeSafetensors(tensors, { format: FORMAT, step: String(c.step) });
  const ranks = (adapters: Map<string, InitialAdapter>) => Object.fromEntries([...adapters].map(([name, a]) => [name, { rank: a.rank, scale: a.scale }]));
  const position = c.step * c.config.gradAccum;
  const state: CheckpointState = {
    format: FORMAT,
    version: VERSION,
    step: c.step,
    next_batch: { note: 'batches are a pure function of (seed, step); no random state is saved', epoch: Math.floor(position / c.data.batchesPerEpoch), index: position % c.data.batchesPerEpoch },
    config: c.config,
    adapters: ranks(c.adapters),
    initial: ranks(c.initial),
    weights: c.weights ? [...c.weights.keys()] : null,
    moments: Object.keys(c.moments),
    adamw_t: c.step,
    scan: c.scan,
    allocation: c.allocation,
    initCheck: c.initCheck,
    steps: c.steps,
    evaluations: c.evaluations,
    data: c.data,
    origin: c.origin,
    tensors: { file: CHECKPOINT_TENSORS, bytes: tensorBytes.byteLength },
  };
  return new Map<string, Uint8Array>([
    [CHECKPOINT_TENSORS, tensorBytes],
    [CHECKPOINT_STATE, new TextEncoder().encode(JSON.stringify(state, null, 1) + '\n')],
  ]);
}

/**
 * Reads the two files back. A checkpoint whose files do not belong together (a write cut short
 * between them, files from two runs) is refused rather than half-restored.
 */
export async function readCheckpoint(files: ReadonlyMap<string, Uint8Array>): Promise<Checkpoint> {
  const stateBytes = files.get(CHECKPOINT_STATE);
  const tensorBytes = files.get(CHECKPOINT_TENSORS);
  if (!stateBytes) throw new ModelFormatError(CHECKPOINT_STATE, 'is missing');
  if (!tensorBytes) throw new ModelFormatError(CHECKPOINT_TENSORS, 'is missing');
  let s: Partial<CheckpointState>;
  try {
    s = JSON.parse(new TextDecoder().decode(stateBytes)) ?? {};
  } catch (error) {
    throw new ModelFormatError(CHECKPOINT_STATE, `is not valid JSON (${(error as Error).message})`);
  }
  if (s.format !== FORMAT || s.version !== VERSION) throw new ModelFormatError(CHECKPOINT_STATE, `is not a version ${VERSION} ${FORMAT} file`);
  const { step, config, steps, data } = s;
  if (!Number.isSafeInteger(step) || step! < 0 || typeof config !== 'object' || !config || !Array.isArray(steps) || steps.length !== step || typeof data !== 'object' || !data) {
    throw new ModelFormatError(CHECKPOINT_STATE, 'is incomplete: its step, config or losses are missing or disagree');
  }
  const file = await SafetensorsFile.open(memorySource(CHECKPOINT_TENSORS, tensorBytes));
  if (file.metadata.format !== FORMAT || file.metadata.step !== String(step) || s.tensors?.bytes !== tensorBytes.byteLength) {
    throw new ModelFormatError(CHECKPOINT_TENSORS, `does not belong to ${CHECKPOINT_STATE} (step ${file.metadata.step ?? '?'} against ${step}): the checkpoint was not written completely`);
  }
  const readAdapters = async (prefix: string, ranks: CheckpointState['adapters'] | undefined) => {
    const out = new Map<string, InitialAdapter>();
    for (const [name, { rank, scale }] of Object.entries(ranks ?? {})) {
      out.set(name, { rank, scale, A: await file.readFloats(`${prefix}.${name}.A`), B: await file.readFloats(`${prefix}.${name}.B`) });
    }
    return out;
  };
  let weights: Map<string, Float32Array> | null = null;
  if (Array.isArray(s.weights)) {
    weights = new Map();
    for (const name of s.weights) weights.set(name, await file.readFloats(`weight.${name}`));
  }
  const moments: Record<string, MomentState> = {};
  for (const group of s.moments ?? []) moments[group] = { m: await file.readFloats(`moment.${group}.m`), v: await file.readFloats(`moment.${group}.v`) };
  return {
    step: step!,
    // Checkpoints written before adaptive γ existed ran with a fixed γ, and those written before the
    // separator existed put nothing between prompt and completion.
    config: { ...config, gammaAuto: config.gammaAuto ?? false, separator: config.separator ?? 'none' },
    adapters: await readAdapters('adapter', s.adapters),
    initial: await readAdapters('initial', s.initial),
    weights,
    moments,
    scan: s.scan ?? null,
    allocation: s.allocation ?? null,
    initCheck: s.initCheck ?? null,
    steps,
    evaluations: s.evaluations ?? [],
    data,
    origin: s.origin ?? null,
  };
}
