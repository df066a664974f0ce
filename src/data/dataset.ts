// Order: the train/validation split and the batch order of every epoch, each a pure function of the
// seed, so that a resumed job, another process or a test recomputes them exactly. Shuffles are
// Fisher–Yates driven by src/engine/random.ts, whose sequence is the same in every runtime.

import { Random } from '../engine/random';
import { makeBatch, type Batch } from './batch';
import type { TokenSequence } from './tokenize';

/**
 * Independent streams from one seed (the split, epoch 0, epoch 1…): the pair is hashed with
 * MurmurHash3's finaliser so that neighbouring seeds and streams give unrelated sequences.
 */
export function deriveSeed(seed: number, stream: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Fisher–Yates: every order equally likely. Shuffles `items` in place and returns it. */
export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** A shuffled 0…n−1. */
export function permutation(n: number, seed: number): number[] {
  return shuffleInPlace(Array.from({ length: n }, (_, i) => i), new Random(seed));
}

/** Validation size: round(n · valFraction), at least 1 when n ≥ 2 and the fraction is not 0, and never all of n. */
export function validationCount(n: number, valFraction: number): number {
  if (!(valFraction >= 0 && valFraction < 1)) throw new RangeError(`valFraction must be in [0, 1), got ${valFraction}`);
  if (n < 2 || valFraction === 0) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * valFraction)));
}

export interface Split<T> {
  train: T[];
  val: T[];
  /** Positions in the input, ascending (file order). */
  trainIndices: number[];
  valIndices: number[];
}

/** A random validation subset; both sides keep the input's order (training reshuffles per epoch). */
export function splitTrainVal<T>(items: readonly T[], seed: number, valFraction = 0.1): Split<T> {
  const nVal = validationCount(items.length, valFraction);
  const order = permutation(items.length, deriveSeed(seed, 0));
  const valIndices = order.slice(0, nVal).sort((a, b) => a - b);
  const trainIndices = order.slice(nVal).sort((a, b) => a - b);
  return { train: trainIndices.map((i) => items[i]), val: valIndices.map((i) => items[i]), trainIndices, valIndices };
}

/** Where training stands: batch `index` of epoch `epoch`. Plain data, to save in a checkpoint. */
export interface BatchPosition {
  epoch: number;
  index: number;
}

export interface ScheduleOptions {
  batchSize: number;
  seqLen: number;
  padId: number;
  seed: number;
  /** Rows to a batch; by default makeBatch's decoder-only layout (an encoder-decoder model's: ./seq2seq.ts). */
  batchOf?: (rows: readonly TokenSequence[]) => Batch;
}

/**
 * Training batches across epochs: each epoch visits every row once, in its own order shuffled from
 * (seed, epoch), so batchAt(position) is the same whenever and wherever it is asked for.
 */
export class BatchSchedule {
  readonly batchesPerEpoch: number;
  private cached: { epoch: number; order: number[] } | null = null;

  constructor(
    readonly rows: readonly TokenSequence[],
    readonly options: ScheduleOptions,
  ) {
    if (rows.length === 0) throw new RangeError('a batch schedule needs at least one row');
    this.batchesPerEpoch = Math.ceil(rows.length / options.batchSize);
  }

  /** The row order of an epoch. */
  order(epoch: number): number[] {
    if (this.cached?.epoch !== epoch) this.cached = { epoch, order: permutation(this.rows.length, deriveSeed(this.options.seed, epoch + 1)) };
    return this.cached.order;
  }

  batchAt(position: BatchPosition): Batch {
    const { epoch, index } = position;
    if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(index) || index < 0 || index >= this.batchesPerEpoch) {
      throw new RangeError(`no batch at epoch ${epoch}, index ${index} (an epoch has ${this.batchesPerEpoch} batches)`);
    }
    const { batchSize, seqLen, padId, batchOf } = this.options;
    const picked = this.order(epoch).slice(index * batchSize, (index + 1) * batchSize).map((i) => this.rows[i]);
    return batchOf ? batchOf(picked) : makeBatch(picked, batchSize, seqLen, padId);
  }

  /** Position of the step-th batch (0-based) counted from the start of training. */
  positionAt(step: number): BatchPosition {
    if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`step must be a whole number ≥ 0, got ${step}`);
    return { epoch: Math.floor(step / this.batchesPerEpoch), index: step % this.batchesPerEpoch };
  }

  stepOf(position: BatchPosition): number {
    return position.epoch * this.batchesPerEpoch + position.index;
  }

  /** The position after `position`, rolling over into the next epoch. */
  next(position: BatchPosition): BatchPosition {
    return position.index + 1 < this.batchesPerEpoch ? { epoch: position.epoch, index: position.index + 1 } : { epoch: position.epoch + 1, index: 0 };
  }

  /** Batches from `from` on, without end; save a yielded `next` to resume after that batch. */
  *batches(from: BatchPosition = { epoch: 0, index: 0 }): Generator<{ position: BatchPosition; batch: Batch; next: BatchPosition }> {
    for (let position = { ...from }; ; position = this.next(position)) {
      yield { position, batch: this.batchAt(position), next: this.next(position) };
    }
  }
}
