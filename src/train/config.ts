// The job's settings: their shape (JobConfig), and their defaults and validation, read from the
// settings table (settings.ts), where each setting's flag, label, default, range and help live.

import type { FeatureFunction } from '../gora/allocate';
import type { WeightFormat } from '../engine/weight-format';
import type { Separator } from '../data/separator';
import { modifiesBaseWeights, type Method } from './methods';
import { kindText, SETTING_KEYS, SETTINGS, settingDefault, type SettingKey } from './settings';

export { METHODS, METHOD_IDS, modifiesBaseWeights, needsScan, usesRsLoraScale, weightFormatProblem, type Method } from './methods';

export interface JobConfig {
  method: Method;
  /** Optimizer steps. */
  steps: number;
  /** B, rows per micro-batch (one forward and backward on the GPU). */
  batchSize: number;
  /** Micro-batches whose gradients add up into one optimizer step (effective batch = B × this). */
  gradAccum: number;
  /** T, tokens per row. */
  seqLen: number;
  /** Base learning rate (the A matrices'; B learns loraPlusRatio× faster; every weight's in full training). */
  lr: number;
  /** r_ref for GoRA, the uniform rank for LoRA. */
  rank: number;
  rankMin: number;
  rankMax: number;
  alpha: number;
  /** GoRA's initial step size γ. */
  gamma: number;
  /** GoRA: choose γ by the search of docs/gora.md §6 (adaptive γ) instead of using `gamma`. */
  gammaAuto: boolean;
  /** N, batches of the gradient scan. */
  scanBatches: number;
  /**
   * Passes of the scan over groups of layers (1: every layer's gradient on the GPU at once); more
   * passes hold fewer gradients at a time for more compute. Chosen by memory-plan.ts.
   */
  scanPasses: number;
  features: FeatureFunction;
  /** lr_B / lr_A (LoRA+), for every adapter method (its default differs by method: settings.ts). */
  loraPlusRatio: number;
  warmupFraction: number;
  /** The cosine decays to this fraction of lr. */
  minLrRatio: number;
  maxGradNorm: number;
  weightDecay: number;
  seed: number;
  valFraction: number;
  /** What goes between a prompt and a completion that have no whitespace between them (src/data/separator.ts). */
  separator: Separator;
  /** Validation loss every this many steps (0: only at the end). */
  evalEvery: number;
  /** Validation batches per evaluation (0: all). */
  evalBatches: number;
  /** Validation prompts to generate from, before and after training. */
  generateSamples: number;
  maxNewTokens: number;
  /**
   * Save a checkpoint (checkpoint.ts) every this many steps, at the end of training and whenever the
   * run is paused or stopped; 0: only when paused or stopped.
   */
  checkpointEvery: number;
  /**
   * How the frozen linear weights are stored on the GPU (src/engine/weight-format.ts); null: the
   * checkpoint's own dtype (resolveWeightFormat).
   */
  weights: WeightFormat | null;
}

/** Every setting's default for a method (the CLI's and the app's alike). */
export function defaultConfig(method: Method): JobConfig {
  const config = Object.fromEntries(SETTING_KEYS.map((key) => [key, settingDefault(key, method)])) as unknown as JobConfig;
  return { ...config, method };
}

/** A setting that cannot run, with the key it belongs to, so a client can show it beside its field or flag. */
export class SettingError extends RangeError {
  override name = 'SettingError';
  constructor(
    readonly key: SettingKey,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Why `value` cannot be the setting `key` in `config`, or null: its kind and range, then its rule
 * with the other settings. The message names the setting by its label (the app's words).
 */
export function settingProblem<K extends SettingKey>(key: K, value: JobConfig[K], config: JobConfig): string | null {
  const row = SETTINGS[key];
  if (!fitsKind(row.kind, value)) return `${row.label} must be ${kindText(row.kind)}, got ${typeof value === 'string' ? `"${value}"` : String(value)}`;
  return row.check?.(value, { ...config, [key]: value }) ?? null;
}

function fitsKind(kind: (typeof SETTINGS)[SettingKey]['kind'], value: unknown): boolean {
  switch (kind.type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'choice':
      return (value === null && kind.none !== undefined) || kind.choices.includes(value as string);
    case 'integer':
      return Number.isSafeInteger(value) && (value as number) >= kind.min && (kind.max === undefined || (value as number) <= kind.max);
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return false;
      const { min, max, minExclusive, maxExclusive } = kind;
      if (min !== undefined && (minExclusive ? !(value > min) : !(value >= min))) return false;
      return max === undefined || (maxExclusive ? value < max : value <= max);
    }
  }
}

/** Every setting of `config` that cannot run, in the table's order. */
export function configProblems(config: JobConfig): Array<{ key: SettingKey; message: string }> {
  return SETTING_KEYS.flatMap((key) => {
    const message = settingProblem(key, config[key], config);
    return message ? [{ key, message }] : [];
  });
}

/** Refuses settings that cannot run, naming the first by its label. */
export function checkConfig(config: JobConfig): void {
  const [problem] = configProblems(config);
  if (problem) throw new SettingError(problem.key, problem.message);
}

/**
 * `config` with another method. A setting whose default depends on the method follows the new
 * method's while it still holds the old one's (one chosen by hand stays); a setting the new method
 * cannot use (a weight format, adaptive γ) goes back to its default.
 */
export function switchMethod(config: JobConfig, method: Method): JobConfig {
  const before = defaultConfig(config.method);
  const after = defaultConfig(method);
  const next: JobConfig = { ...config, method };
  for (const key of SETTING_KEYS) {
    const follows = Object.is(config[key], before[key]) && !Object.is(before[key], after[key]);
    const broken = settingProblem(key, next[key], next) !== null && settingProblem(key, config[key], config) === null;
    if (follows || broken) (next as unknown as Record<string, unknown>)[key] = after[key];
  }
  return next;
}

/**
 * The storage format a run uses: the one asked for, or the checkpoint's own (BF16 and F16 stay
 * 16-bit, anything else f32). Methods that train or rewrite W default to f32 whatever the
 * checkpoint: LoRA-GA's and PiSSA's W − s·B₀A₀ rounded to 16 bits is no longer exactly the W that
 * their exported adapter (relative to the original W) assumes, so 16 bits is theirs only on request.
 */
export function resolveWeightFormat(c: JobConfig, checkpointDtype: string): WeightFormat {
  if (c.weights != null) return c.weights;
  if (c.method === 'full' || modifiesBaseWeights(c.method)) return 'f32';
  return checkpointFormat(checkpointDtype);
}

/** A checkpoint's own dtype as a storage format: BF16 and F16 stay 16-bit, anything else is f32. */
export function checkpointFormat(dtype: string): WeightFormat {
  return dtype === 'BF16' ? 'bf16' : dtype === 'F16' ? 'f16' : 'f32';
}
