// Every training setting, one row each: its flag, the app's label, its default, its kind and valid
// range, its help, whether a resumed run may change it and where the app shows it. The defaults
// (config.ts defaultConfig), validation (checkConfig, settingProblem), the CLI's flags, parsing and
// help (src/cli/setting-flags.ts), the app's settings panel and defaults, and which settings a
// checkpoint lets a resume change (checkpoint.ts) are all read from this table, so a setting is
// added or retuned here and nowhere else.

import type { FeatureFunction } from '../gora/allocate';
import { WEIGHT_FORMATS, type WeightFormat } from '../engine/weight-format';
import { DEFAULT_SEPARATOR, SEPARATORS } from '../data/separator';
import { METHOD_IDS, weightFormatProblem, type Method } from './methods';
import type { JobConfig } from './config';

export type SettingKey = keyof JobConfig;

/** Settings that hold true or false (a flag's word `auto` may set one). */
export type SwitchKey = { [K in SettingKey]: JobConfig[K] extends boolean ? K : never }[SettingKey];

/**
 * What values a setting takes. Ranges are inclusive unless marked exclusive; `none` names what null
 * means for a choice that may be left unset.
 */
export type SettingKind =
  | { type: 'integer'; min: number; max?: number }
  | { type: 'number'; min?: number; minExclusive?: boolean; max?: number; maxExclusive?: boolean }
  | { type: 'choice'; choices: readonly string[]; labels?: Readonly<Record<string, string>>; none?: string }
  | { type: 'boolean' };

/**
 * Where the app shows a setting: the settings panel for every method, GoRA only or the methods that
 * scan (needsScan); the dataset panel, beside the preview it changes ('data'); or nowhere.
 */
export type Shown = 'all' | 'gora' | 'scan' | 'data' | 'hidden';

/** A default that differs by method, one value per method. */
export interface PerMethod<V> {
  readonly byMethod: Readonly<Record<Method, V>>;
}

export interface Setting<V> {
  /** The CLI flag without its dashes; null: none of its own (see `auto`). */
  flag: string | null;
  /** The flag also takes the word `auto`, which switches this setting on instead. */
  auto?: SwitchKey;
  /** The app's words, which messages about the setting use too. */
  label: string;
  /** What a special value means, shown after the label in the app and the help. */
  note?: string;
  default: V | PerMethod<V>;
  kind: SettingKind;
  /** One line for the CLI's help and the app's tooltip. */
  help: string;
  /** A resumed run may change it: it does not change what is trained. */
  resumable: boolean;
  app: Shown;
  /** The app's number input step, where 1 is too coarse. */
  step?: number;
  /** `gora compare` takes the flag too (it picks methods with --methods and keeps no checkpoints). */
  compare: boolean;
  /** The prepared data depends on it (its rows, split or batches): eval takes it, and the app re-reads the data when it changes. */
  data?: boolean;
  /** A rule that involves other settings: why `value` cannot run with the rest of `config`, or null. */
  check?: (value: V, config: JobConfig) => string | null;
}

const byMethod = <V>(values: Record<Method, V>): PerMethod<V> => ({ byMethod: values });

const FEATURES: readonly FeatureFunction[] = ['id', 'sqrt', 'log1p'];

/** The label of another row, read when a rule runs (the table is complete by then). */
const label = (key: SettingKey): string => SETTINGS[key].label;

/**
 * The table, in the order the help and the app list the settings. The defaults are docs/gora.md §12's; the
 * type holds exactly one row for every JobConfig key.
 */
export const SETTINGS: { readonly [K in SettingKey]: Setting<JobConfig[K]> } = {
  method: {
    flag: 'method', label: 'Method', default: 'gora', kind: { type: 'choice', choices: METHOD_IDS },
    help: 'the training method', resumable: false, app: 'all', compare: false,
  },
  steps: {
    flag: 'steps', label: 'Steps', default: 400, kind: { type: 'integer', min: 1 },
    help: 'optimizer steps', resumable: false, app: 'all', compare: true,
  },
  batchSize: {
    flag: 'batch-size', label: 'Batch size', default: 8, kind: { type: 'integer', min: 1 },
    help: 'B, rows per step; cut into micro-batches when they do not fit the GPU', resumable: false, app: 'all', compare: true, data: true,
  },
  gradAccum: {
    flag: 'grad-accum', label: 'Gradient accumulation', default: 1, kind: { type: 'integer', min: 1 },
    help: 'micro-batches whose gradients add up into one optimizer step', resumable: false, app: 'hidden', compare: true,
  },
  seqLen: {
    // Two tokens at least: a row's loss predicts each token from the ones before it.
    flag: 'seq-len', label: 'Sequence length', default: 64, kind: { type: 'integer', min: 2 },
    help: 'T, tokens per row', resumable: false, app: 'all', compare: true, data: true,
  },
  lr: {
    // Chosen on the sentiment sample's validation split with scripts/sweep.ts (bench/results/sweep/):
    // GoRA's, whose B learns 16× faster (LoRA+), at 2e-4; the baselines, with one rate for A and B,
    // at 1e-3; full fine-tuning, which moves every weight, keeps the smaller rate usual for it.
    flag: 'lr', label: 'Learning rate',
    default: byMethod({
      gora: 2e-4,
      lora: 1e-3,
      rslora: 1e-3,
      'lora-ga': 1e-3,
      pissa: 1e-3,
      full: 5e-5,
    }),
    kind: { type: 'number', min: 0, minExclusive: true },
    help: "the base learning rate: the A matrices' (B's is LoRA+ ratio × this), every weight's in full training", resumable: false, app: 'all', step: 0.0001, compare: true,
  },
  loraPlusRatio: {
    // LoRA+ (lr_B = 16·lr_A) is part of GoRA's recipe (docs/gora.md §7); the baselines are defined
    // with one rate for A and B, and the flag switches LoRA+ on for any of them.
    flag: 'lora-plus-ratio', label: 'LoRA+ ratio',
    default: byMethod({
      gora: 16,
      lora: 1,
      rslora: 1,
      'lora-ga': 1,
      pissa: 1,
      full: 1,
    }),
    kind: { type: 'number', min: 0, minExclusive: true },
    help: "LoRA+: B's learning rate over A's", resumable: false, app: 'hidden', compare: true,
  },
  warmupFraction: {
    flag: 'warmup', label: 'Warm-up fraction', default: 0.03, kind: { type: 'number', min: 0, max: 1 },
    help: 'fraction of the steps over which the learning rate warms up', resumable: false, app: 'hidden', compare: true,
  },
  minLrRatio: {
    flag: 'min-lr-ratio', label: 'Final learning rate ratio', default: 0, kind: { type: 'number', min: 0, max: 1 },
    help: 'the cosine decays to this fraction of the learning rate', resumable: false, app: 'hidden', compare: true,
  },
  maxGradNorm: {
    flag: 'max-grad-norm', label: 'Gradient clipping norm', default: 1, kind: { type: 'number', min: 0, minExclusive: true },
    help: 'gradients are scaled down to this global norm when above it', resumable: false, app: 'hidden', compare: true,
  },
  weightDecay: {
    flag: 'weight-decay', label: 'Weight decay', default: 0, kind: { type: 'number', min: 0 },
    help: "AdamW's decoupled weight decay", resumable: false, app: 'hidden', compare: true,
  },
  rank: {
    // 16 rather than the paper's 8: chosen with the learning rates on the sentiment sample's
    // validation split (docs/gora.md §7); it is every baseline's rank too, so budgets stay equal.
    flag: 'rank', label: 'Rank (r_ref)', default: 16, kind: { type: 'integer', min: 1 },
    help: "r_ref, GoRA's reference rank (the parameter budget); the rank of every other adapter", resumable: false, app: 'all', compare: true,
  },
  rankMin: {
    flag: 'rank-min', label: 'Min rank', default: 4, kind: { type: 'integer', min: 0 },
    help: 'GoRA: the smallest rank a layer is given', resumable: false, app: 'gora', compare: true,
    check: (value, c) => (value > c.rankMax ? `${label('rankMin')} (${value}) is above ${label('rankMax')} (${c.rankMax})` : null),
  },
  rankMax: {
    flag: 'rank-max', label: 'Max rank', default: 32, kind: { type: 'integer', min: 0 },
    help: 'GoRA: the largest rank a layer is given', resumable: false, app: 'gora', compare: true,
    check: (value, c) => (c.rankMin > value ? `${label('rankMin')} (${c.rankMin}) is above ${label('rankMax')} (${value})` : null),
  },
  alpha: {
    flag: 'alpha', label: 'α', default: 16, kind: { type: 'number', min: 0, minExclusive: true },
    help: "α of the adapter's scale (α/√r or α/r by method)", resumable: false, app: 'all', compare: true,
  },
  gamma: {
    flag: 'gamma', auto: 'gammaAuto', label: 'γ (initial step)', default: 0.05, kind: { type: 'number', min: 0 },
    help: "GoRA's initial step size γ for B₀ (auto: GoRA's adaptive γ)", resumable: false, app: 'gora', step: 0.01, compare: true,
  },
  gammaAuto: {
    // Set by the word `auto` given to γ's flag: one flag for one concept.
    flag: null, label: 'Adaptive γ', default: false, kind: { type: 'boolean' },
    help: 'GoRA: choose γ by the search of docs/gora.md §6 instead of using γ', resumable: false, app: 'hidden', compare: true,
    check: (value, c) => (value && c.method !== 'gora' ? `${label('gammaAuto')} is GoRA's and needs the method gora, got ${c.method}` : null),
  },
  scanBatches: {
    flag: 'scan-batches', label: 'Scan batches', default: 8, kind: { type: 'integer', min: 1 },
    help: 'N, batches of the gradient scan', resumable: false, app: 'scan', compare: true,
  },
  scanPasses: {
    // A resumed run does not repeat the scan, so how it was cut into passes does not matter to it.
    flag: 'scan-passes', label: 'Scan passes', default: 1, kind: { type: 'integer', min: 1 },
    help: 'passes of the scan over groups of layers: more hold fewer gradients at once, for more compute', resumable: true, app: 'hidden', compare: true,
  },
  features: {
    flag: 'features', label: 'Feature function', default: 'id', kind: { type: 'choice', choices: FEATURES, labels: { id: 'identity', sqrt: '√', log1p: 'log1p' } },
    help: 'GoRA: the function applied to importances before ranks are allocated', resumable: false, app: 'gora', compare: true,
  },
  seed: {
    flag: 'seed', label: 'Seed', default: 0, kind: { type: 'integer', min: 0 },
    help: 'seed of the validation split, the batch order and the initialisation', resumable: false, app: 'all', compare: true, data: true,
  },
  valFraction: {
    flag: 'val-fraction', label: 'Validation fraction', default: 0.1, kind: { type: 'number', min: 0, max: 1, maxExclusive: true },
    help: 'fraction of the rows held out for validation', resumable: false, app: 'hidden', compare: true, data: true,
  },
  separator: {
    flag: 'separator', label: 'Separator', default: DEFAULT_SEPARATOR,
    kind: { type: 'choice', choices: SEPARATORS, labels: { space: 'space', newline: 'new line', none: 'none' } },
    help: 'put between a prompt and its completion when neither has whitespace where they meet (a space starts the completion, a new line ends the prompt)', resumable: false, app: 'data', compare: true, data: true,
  },
  checkpointEvery: {
    flag: 'checkpoint-every', label: 'Checkpoint every', note: '0: only when stopped', default: 25, kind: { type: 'integer', min: 0 },
    help: 'steps between checkpoints (every quarter of a run shorter than this), also saved at the end of training and when the run is paused or stopped', resumable: true, app: 'all', compare: false,
  },
  evalEvery: {
    // How much evaluation a run does: on a large model or a slow GPU it can outlast a short training.
    flag: 'eval-every', label: 'Evaluate every', note: '0: at the end', default: 100, kind: { type: 'integer', min: 0 },
    help: 'steps between validation losses', resumable: true, app: 'all', compare: true,
  },
  evalBatches: {
    flag: 'eval-batches', label: 'Validation batches', note: '0: all', default: 0, kind: { type: 'integer', min: 0 },
    help: 'validation batches per evaluation (and test batches after training)', resumable: true, app: 'all', compare: true,
  },
  generateSamples: {
    flag: 'generate', label: 'Generations', default: 3, kind: { type: 'integer', min: 0 },
    help: 'validation prompts to generate from, before and after training', resumable: true, app: 'all', compare: true,
  },
  maxNewTokens: {
    flag: 'max-new-tokens', label: 'New tokens per generation', default: 16, kind: { type: 'integer', min: 0 },
    help: 'tokens generated per prompt', resumable: true, app: 'hidden', compare: true,
  },
  weights: {
    flag: 'weights', label: 'Frozen weights', default: null, kind: { type: 'choice', choices: WEIGHT_FORMATS, none: "the checkpoint's dtype" },
    help: 'how the frozen linear weights are stored on the GPU; int8 and q4 quantise them, for GoRA, LoRA and rsLoRA', resumable: false, app: 'all', compare: false,
    check: (value, c) => (value === null ? null : weightFormatProblem(c.method, value as WeightFormat)),
  },
};

/** The keys, in the table's order. */
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** A row with its key, for code that goes through the whole table. */
export type SettingRow = Setting<JobConfig[SettingKey]> & { key: SettingKey };

export const SETTING_ROWS: readonly SettingRow[] = SETTING_KEYS.map((key) => ({ ...(SETTINGS[key] as Setting<JobConfig[SettingKey]>), key }));

/** One setting's row with its key. */
export function settingRow(key: SettingKey): SettingRow {
  return SETTING_ROWS.find((r) => r.key === key)!;
}

/** Settings the prepared data depends on. */
export const DATA_SETTINGS: readonly SettingKey[] = SETTING_ROWS.filter((r) => r.data).map((r) => r.key);

/** Settings whose default depends on the method (a comparison gives each method its own). */
export const PER_METHOD_SETTINGS: readonly SettingKey[] = SETTING_ROWS.filter((r) => isPerMethod(r.default)).map((r) => r.key);

/** The method a run uses unless told otherwise. */
export const DEFAULT_METHOD = SETTINGS.method.default as Method;

/** Settings a resumed run may change (checkpoint.ts); every other one must match the checkpoint's. */
export const RESUMABLE_SETTINGS: readonly SettingKey[] = SETTING_ROWS.filter((r) => r.resumable).map((r) => r.key);

export function isPerMethod<V>(value: V | PerMethod<V>): value is PerMethod<V> {
  return typeof value === 'object' && value !== null && 'byMethod' in value;
}

/** A setting's default for a method. */
export function settingDefault<K extends SettingKey>(key: K, method: Method): JobConfig[K] {
  const d = SETTINGS[key].default as JobConfig[K] | PerMethod<JobConfig[K]>;
  return isPerMethod(d) ? d.byMethod[method] : d;
}

/** Whether the app's settings panel shows the setting for a method. */
export function shownFor(row: Pick<Setting<unknown>, 'app'>, method: Method, scans: boolean): boolean {
  return row.app === 'all' || (row.app === 'gora' && method === 'gora') || (row.app === 'scan' && scans);
}

/** "a whole number ≥ 1", "a number from 0 up to (not including) 1", "one of id, sqrt, log1p". */
export function kindText(kind: SettingKind): string {
  switch (kind.type) {
    case 'boolean':
      return 'true or false';
    case 'choice':
      return `one of ${kind.choices.join(', ')}`;
    case 'integer':
    case 'number': {
      const what = kind.type === 'integer' ? 'a whole number' : 'a number';
      const { min, max } = kind;
      const minExclusive = kind.type === 'number' && kind.minExclusive;
      const maxExclusive = kind.type === 'number' && kind.maxExclusive;
      if (min !== undefined && max !== undefined) return `${what} from ${min}${minExclusive ? ' (not included)' : ''} ${maxExclusive ? 'up to (not including)' : 'to'} ${max}`;
      if (min !== undefined) return `${what} ${minExclusive ? '>' : '≥'} ${min}`;
      if (max !== undefined) return `${what} ${maxExclusive ? '<' : '≤'} ${max}`;
      return what;
    }
  }
}
