// The job's settings, with every default as GORA.md writes it.

import type { FeatureFunction } from '../gora/allocate';

/** GoRA and LoRA train adapters on frozen weights; full trains every weight (GORA.md's strongest baseline). */
export type Method = 'gora' | 'lora' | 'full';

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
  /** N, batches of the gradient scan. */
  scanBatches: number;
  /**
   * Passes of the scan over groups of layers (1: every layer's gradient on the GPU at once); more
   * passes hold fewer gradients at a time for more compute. Chosen by memory-plan.ts.
   */
  scanPasses: number;
  features: FeatureFunction;
  /** lr_B / lr_A (LoRA+); GoRA's default 16, plain LoRA's 1. */
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
}

export function defaultConfig(method: Method): JobConfig {
  return {
    method,
    steps: 100,
    batchSize: 4,
    gradAccum: 1,
    seqLen: 64,
    // Full fine-tuning moves every weight, so it takes the smaller rate usual for it.
    lr: method === 'full' ? 5e-5 : 2e-4,
    rank: 8,
    rankMin: 4,
    rankMax: 32,
    alpha: 16,
    gamma: 0.05,
    scanBatches: 8,
    scanPasses: 1,
    features: 'id',
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
  };
}

/** Refuses settings that cannot run, naming the flag. */
export function checkConfig(c: JobConfig): void {
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
  if (c.rankMin > c.rankMax) throw new RangeError(`--rank-min (${c.rankMin}) is above --rank-max (${c.rankMax})`);
}
