// The job's settings, with every default as docs/gora.md §12 lists it.

import type { FeatureFunction } from '../gora/allocate';
import { isQuantised, WEIGHT_FORMATS, type WeightFormat } from '../engine/weight-format';

/**
 * Every training method, with a one-line description for lists (the app, `gora compare`). The adapter
 * methods train A and B on frozen weights and differ in their initialisation and scale (docs/gora.md
 * §9); full trains every weight (the strongest baseline, docs/gora.md §9).
 */
export const METHODS = [
  { id: 'gora', description: 'GoRA: ranks from gradient importance, B₀ = one compressed gradient step (s = α/√r)' },
  { id: 'lora', description: 'LoRA: uniform rank, A Kaiming-uniform, B = 0, s = α/r' },
  { id: 'rslora', description: 'rsLoRA: LoRA with the rank-stabilised scale s = α/√r' },
  { id: 'lora-ga', description: 'LoRA-GA: A₀, B₀ from the SVD of the scan gradient, W offset so step 0 is unchanged (s = α/√r)' },
  { id: 'pissa', description: "PiSSA: A₀, B₀ from W's top singular triplets, W keeps the residual (s = α/r)" },
  { id: 'full', description: 'Full fine-tuning: every weight trainable' },
] as const satisfies ReadonlyArray<{ id: string; description: string }>;

export type Method = (typeof METHODS)[number]['id'];

export const METHOD_IDS: readonly Method[] = METHODS.map((m) => m.id);

/** Methods whose initialisation needs the gradient scan (docs/gora.md §2). */
export function needsScan(method: Method): boolean {
  return method === 'gora' || method === 'lora-ga';
}

/**
 * Methods that move part of W into the initial adapter (W ← W − s·B₀A₀), so that the exported
 * adapter must carry −s·B₀A₀ as well (src/export/peft.ts).
 */
export function modifiesBaseWeights(method: Method): boolean {
  return method === 'lora-ga' || method === 'pissa';
}

/**
 * s = α/√r (rsLoRA) or α/r. GoRA and rsLoRA use α/√r by definition; LoRA-GA's scale-stability
 * analysis (LoRA-GA §3.3) is made for α/√r; LoRA and PiSSA use PEFT's default α/r (PiSSA's
 * B₀A₀ is divided by s, so s changes only how fast it trains, not where it starts).
 */
export function usesRsLoraScale(method: Method): boolean {
  return method === 'gora' || method === 'rslora' || method === 'lora-ga';
}

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
  /** lr_B / lr_A (LoRA+), for every adapter method; GoRA's default 16, the baselines' 1. */
  loraPlusRatio: number;
  warmupFraction: number;
  /** The cosine decays to this fraction of lr. */
  minLrRatio: number;
  maxGradNorm: number;
  weightDecay: number;
  seed: number;
  valFraction: number;
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

export function defaultConfig(method: Method): JobConfig {
  return {
    method,
    steps: 100,
    batchSize: 4,
    gradAccum: 1,
    seqLen: 64,
    // Full fine-tuning moves every weight, so it takes the smaller rate usual for it. The adapter
    // methods share one rate: the LoRA-GA and PiSSA papers train their baselines and their own
    // method at the same rate, so the comparison differs only in the initialisation.
    lr: method === 'full' ? 5e-5 : 2e-4,
    rank: 8,
    rankMin: 4,
    rankMax: 32,
    alpha: 16,
    gamma: 0.05,
    gammaAuto: false,
    scanBatches: 8,
    scanPasses: 1,
    features: 'id',
    // LoRA+ (lr_B = 16·lr_A) is part of GoRA's recipe (docs/gora.md §7); the baselines are defined
    // with one rate for A and B, and --lora-plus-ratio switches LoRA+ on for any of them.
    loraPlusRatio: method === 'gora' ? 16 : 1,
    warmupFraction: 0.03,
    minLrRatio: 0,
    maxGradNorm: 1,
    weightDecay: 0,
    seed: 0,
    valFraction: 0.1,
    evalEvery: 25,
    evalBatches: 0,
    generateSamples: 3,
    maxNewTokens: 16,
    checkpointEvery: 25,
    weights: null,
  };
}

/** Refuses settings that cannot run, naming the flag. */
export function checkConfig(c: JobConfig): void {
  if (!METHOD_IDS.includes(c.method)) throw new RangeError(`--method must be one of ${METHOD_IDS.join(', ')}, got "${String(c.method)}"`);
  if (c.gammaAuto && c.method !== 'gora') throw new RangeError(`--gamma auto is GoRA's adaptive γ and needs --method gora, got ${c.method}`);
  const positiveInt: Array<[string, number]> = [
    ['--steps', c.steps],
    ['--batch-size', c.batchSize],
    ['--grad-accum', c.gradAccum],
    ['--seq-len', c.seqLen],
    ['--rank', c.rank],
    ['--scan-batches', c.scanBatches],
    ['--scan-passes', c.scanPasses],
  ];
  for (const [flag, value] of positiveInt) if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${flag} must be a whole number ≥ 1, got ${value}`);
  const nonNegativeInt: Array<[string, number]> = [
    ['--rank-min', c.rankMin],
    ['--rank-max', c.rankMax],
    ['--eval-every', c.evalEvery],
    ['--eval-batches', c.evalBatches],
    ['--generate', c.generateSamples],
    ['--max-new-tokens', c.maxNewTokens],
    ['--checkpoint-every', c.checkpointEvery],
    ['--seed', c.seed],
  ];
  for (const [flag, value] of nonNegativeInt) if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${flag} must be a whole number ≥ 0, got ${value}`);
  const positive: Array<[string, number]> = [
    ['--lr', c.lr],
    ['--alpha', c.alpha],
    ['--lora-plus-ratio', c.loraPlusRatio],
    ['--max-grad-norm', c.maxGradNorm],
  ];
  for (const [flag, value] of positive) if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${flag} must be a number > 0, got ${value}`);
  if (!(c.gamma >= 0)) throw new RangeError(`--gamma must be ≥ 0, got ${c.gamma}`);
  if (!(c.warmupFraction >= 0 && c.warmupFraction <= 1)) throw new RangeError(`--warmup must be between 0 and 1, got ${c.warmupFraction}`);
  if (!(c.minLrRatio >= 0 && c.minLrRatio <= 1)) throw new RangeError(`--min-lr-ratio must be between 0 and 1, got ${c.minLrRatio}`);
  if (!(c.weightDecay >= 0)) throw new RangeError(`--weight-decay must be ≥ 0, got ${c.weightDecay}`);
  if (c.weights !== null && !WEIGHT_FORMATS.includes(c.weights)) throw new RangeError(`--weights must be one of ${WEIGHT_FORMATS.join(', ')}, got "${String(c.weights)}"`);
  if (c.weights !== null) {
    const problem = weightFormatProblem(c.method, c.weights);
    if (problem) throw new RangeError(problem);
  }
  if (c.rankMin > c.rankMax) throw new RangeError(`--rank-min (${c.rankMin}) is above --rank-max (${c.rankMax})`);
}

/**
 * Why a method cannot run on weights stored in `format`, or null. Full fine-tuning updates every
 * weight by steps far below bf16's resolution (2⁻⁸ relative), so it keeps f32; LoRA-GA and PiSSA
 * rewrite W once (W ← W − s·B₀A₀), which a 16-bit format holds up to its rounding but a quantised
 * one cannot hold at all.
 */
export function weightFormatProblem(method: Method, format: WeightFormat): string | null {
  if (method === 'full' && format !== 'f32') return `full fine-tuning trains every weight and keeps them in f32: use --weights f32 (or an adapter method to keep the frozen weights in ${format})`;
  if (modifiesBaseWeights(method) && isQuantised(format)) {
    return `${method === 'pissa' ? 'PiSSA' : 'LoRA-GA'} rewrites the frozen weights (W ← W − s·B₀A₀), which ${format} cannot hold: use --weights bf16, f16 or f32 (or GoRA, LoRA or rsLoRA to keep ${format})`;
  }
  return null;
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
