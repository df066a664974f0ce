import { describe, expect, it } from 'vitest';
import { BatchSchedule, deriveSeed, permutation, splitTrainVal, validationCount, type BatchPosition } from '../../src/data/dataset';
import type { TokenSequence } from '../../src/data/tokenize';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Row i holds tokens [i+1, i+1] so a batch shows which rows it took. */
function rows(n: number): TokenSequence[] {
  return range(n).map((i) => ({ ids: Uint32Array.of(i + 1, i + 1), mask: Uint8Array.of(1, 1), kind: 'text' }));
}

/** The rows a batch holds, by their ids. */
function rowIds(batch: { inputIds: Uint32Array; rows: number; seqLen: number }): number[] {
  return range(batch.rows).map((b) => batch.inputIds[b * batch.seqLen] - 1);
}

describe('shuffle and split', () => {
  it('shuffles deterministically from the seed, differently for other seeds', () => {
    const p = permutation(50, 7);
    expect([...p].sort((a, b) => a - b)).toEqual(range(50));
    expect(permutation(50, 7)).toEqual(p);
    expect(permutation(50, 8)).not.toEqual(p);
    expect(p).not.toEqual(range(50));
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(1, 1));
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(2, 0));
  });

  it('holds out round(n · valFraction), at least one when there are two, never everything', () => {
    expect(validationCount(0, 0.1)).toBe(0);
    expect(validationCount(1, 0.1)).toBe(0);
    expect(validationCount(2, 0.1)).toBe(1);
    expect(validationCount(100, 0.1)).toBe(10);
    expect(validationCount(100, 0)).toBe(0);
    expect(validationCount(3, 0.99)).toBe(2);
    expect(() => validationCount(10, 1)).toThrow(RangeError);
    expect(() => validationCount(10, -0.1)).toThrow(RangeError);
  });

  it('splits into disjoint sides, in file order, recomputed exactly from (items, seed, valFraction)', () => {
    const items = range(40).map((i) => `example ${i}`);
    const split = splitTrainVal(items, 3, 0.25);
    expect(split.val).toHaveLength(10);
    expect(split.train).toHaveLength(30);
    expect([...split.trainIndices, ...split.valIndices].sort((a, b) => a - b)).toEqual(range(40));
    expect(split.valIndices).toEqual([...split.valIndices].sort((a, b) => a - b));
    expect(split.val).toEqual(split.valIndices.map((i) => items[i]));
    expect(splitTrainVal([...items], 3, 0.25)).toEqual(split);
    expect(splitTrainVal(items, 4, 0.25).valIndices).not.toEqual(split.valIndices);
  });
});

describe('batch schedule', () => {
  const options = { batchSize: 4, seqLen: 3, padId: 0, seed: 11 };

  it('visits every row once per epoch, in a new order each epoch', () => {
    const schedule = new BatchSchedule(rows(10), options);
    expect(schedule.batchesPerEpoch).toBe(3);
    const epoch = (e: number) => range(3).flatMap((index) => rowIds(schedule.batchAt({ epoch: e, index })));
    const first = epoch(0);
    expect([...first].sort((a, b) => a - b)).toEqual(range(10));
    expect(schedule.batchAt({ epoch: 0, index: 2 }).rows).toBe(2);
    const second = epoch(1);
    expect([...second].sort((a, b) => a - b)).toEqual(range(10));
    expect(second).not.toEqual(first);
    expect(epoch(0)).toEqual(first);
    expect(new BatchSchedule(rows(10), { ...options, seed: 12 }).order(0)).not.toEqual(schedule.order(0));
  });

  it('maps steps to positions and back, across epochs', () => {
    const schedule = new BatchSchedule(rows(10), options);
    expect(schedule.positionAt(0)).toEqual({ epoch: 0, index: 0 });
    expect(schedule.positionAt(7)).toEqual({ epoch: 2, index: 1 });
    expect(schedule.stepOf({ epoch: 2, index: 1 })).toBe(7);
    expect(schedule.next({ epoch: 0, index: 2 })).toEqual({ epoch: 1, index: 0 });
    expect(() => schedule.batchAt({ epoch: 0, index: 3 })).toThrow(RangeError);
    expect(() => schedule.positionAt(-1)).toThrow(RangeError);
  });

  it('resumes from a saved position with exactly the batches an unbroken run sees', () => {
    const unbroken = new BatchSchedule(rows(10), options);
    const seen: number[][] = [];
    let saved: BatchPosition | null = null;
    let step = 0;
    for (const { batch, next } of unbroken.batches()) {
      seen.push(rowIds(batch));
      if (++step === 4) saved = JSON.parse(JSON.stringify(next)) as BatchPosition;
      if (step === 8) break;
    }
    // Another process: a new schedule over the same rows and seed, from the saved plain object.
    const resumed = new BatchSchedule(rows(10), options);
    const after: number[][] = [];
    for (const { batch } of resumed.batches(saved!)) {
      after.push(rowIds(batch));
      if (after.length === 4) break;
    }
    expect(saved).toEqual({ epoch: 1, index: 1 });
    expect(after).toEqual(seen.slice(4));
  });
});
