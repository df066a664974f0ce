import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IGNORE_INDEX, makeBatch, packSequences } from '../../src/data/batch';
import { tokenizeExample, tokenPlan, type TokenSequence } from '../../src/data/tokenize';
import { fixtureTokenizer } from './helpers';

const X = IGNORE_INDEX;

function seq(ids: number[], mask: number[]): TokenSequence {
  return { ids: Uint32Array.from(ids), mask: Uint8Array.from(mask), kind: 'text' };
}

/** Row b of a flat [B, T] array. */
function row(data: ArrayLike<number>, b: number, T: number): number[] {
  return Array.from(data).slice(b * T, (b + 1) * T);
}

describe('batches (Hugging Face convention)', () => {
  it('pads on the right, labels only counted tokens and shifts the targets by one', async () => {
    const tokenizer = await fixtureTokenizer();
    const plan = tokenPlan(tokenizer);
    const rows = [
      tokenizeExample({ prompt: 'The cat', completion: ' sat' }, tokenizer, plan), // 267 294 | 297 268 EOS
      tokenizeExample({ text: 'The dog' }, tokenizer, plan), // 267 295 EOS
    ];
    const PAD = 2; // any id: padding is never a label, and a distinct one shows where it went
    const batch = makeBatch(rows, 2, 8, PAD);
    expect(batch).toMatchObject({ batchSize: 2, seqLen: 8, rows: 2, count: 5 });
    expect(batch.tokens).toBe(batch.inputIds);
    expect(row(batch.inputIds, 0, 8)).toEqual([267, 294, 297, 268, 0, PAD, PAD, PAD]);
    expect(row(batch.labels, 0, 8)).toEqual([X, X, 297, 268, 0, X, X, X]);
    expect(row(batch.targets, 0, 8)).toEqual([X, 297, 268, 0, X, X, X, X]);
    expect(row(batch.inputIds, 1, 8)).toEqual([267, 295, 0, PAD, PAD, PAD, PAD, PAD]);
    expect(row(batch.labels, 1, 8)).toEqual([267, 295, 0, X, X, X, X, X]);
    expect(row(batch.targets, 1, 8)).toEqual([295, 0, X, X, X, X, X, X]);
  });

  it('fills a short last batch with rows of padding that count nothing', () => {
    const batch = makeBatch([seq([5, 6, 7], [0, 1, 1])], 3, 4, 9);
    expect(batch.rows).toBe(1);
    expect(batch.count).toBe(2);
    expect(Array.from(batch.inputIds)).toEqual([5, 6, 7, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
    expect(row(batch.targets, 0, 4)).toEqual([6, 7, X, X]);
    expect(Array.from(batch.targets).slice(4).every((t) => t === X)).toBe(true);
  });

  it('never produces a batch without a target, nor one with a row longer than T', () => {
    expect(() => makeBatch([seq([5, 6], [1, 0])], 2, 4, 0)).toThrow(/no counted target/);
    expect(() => makeBatch([seq([1, 2, 3, 4, 5], [1, 1, 1, 1, 1])], 1, 4, 0)).toThrow(/5 tokens, more than the sequence length 4/);
    expect(() => makeBatch([], 1, 4, 0)).toThrow(RangeError);
  });

  it('targets[b, t] = labels[b, t+1] and count = targets ≥ 0 for any rows (property)', () => {
    const rowArb = fc
      .integer({ min: 1, max: 9 })
      .chain((n) => fc.tuple(fc.array(fc.integer({ min: 0, max: 298 }), { minLength: n, maxLength: n }), fc.array(fc.boolean(), { minLength: n, maxLength: n })));
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 4 }), (raw) => {
        const rows = raw.map(([ids, mask]) => seq(ids, mask.map(Number)));
        const T = 9;
        const counted = rows.reduce((s, r) => s + r.mask.slice(1).reduce((a, m) => a + m, 0), 0);
        if (counted === 0) return;
        const batch = makeBatch(rows, 4, T, 0);
        let count = 0;
        for (let b = 0; b < 4; b++) {
          for (let t = 0; t < T; t++) {
            const expected = t + 1 < T ? batch.labels[b * T + t + 1] : X;
            expect(batch.targets[b * T + t]).toBe(expected);
            const label = batch.labels[b * T + t];
            expect(label === X || label === batch.inputIds[b * T + t]).toBe(true);
            if (batch.targets[b * T + t] >= 0) count++;
          }
        }
        expect(batch.count).toBe(count);
        expect(count).toBe(counted);
      }),
      { numRuns: 100 },
    );
  });
});

describe('packing', () => {
  it('concatenates the sequences and cuts rows of exactly T, masks travelling with their tokens', () => {
    const seqs = [seq([1, 2, 3, 0], [1, 1, 1, 1]), seq([4, 5, 0], [0, 1, 1]), seq([6, 7, 8, 9, 0], [1, 1, 1, 1, 1])];
    const rows = packSequences(seqs, 5);
    expect(rows.map((r) => [...r.ids])).toEqual([
      [1, 2, 3, 0, 4],
      [5, 0, 6, 7, 8],
      [9, 0],
    ]);
    expect(rows.map((r) => [...r.mask])).toEqual([
      [1, 1, 1, 1, 0],
      [1, 1, 1, 1, 1],
      [1, 1],
    ]);
  });

  it('gives full rows of T whatever the lengths, and loses no token (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 2, max: 16 }), (lengths, T) => {
        let next = 1;
        const seqs = lengths.map((n) => seq(Array.from({ length: n }, () => next++), Array(n).fill(1)));
        const rows = packSequences(seqs, T);
        rows.slice(0, -1).forEach((r) => expect(r.ids.length).toBe(T));
        for (const r of rows) expect(r.ids.length).toBeGreaterThan(1);
        const all = rows.flatMap((r) => [...r.ids]);
        const total = next - 1;
        // Only a last piece of a single token (no target) may be left out.
        expect(all).toEqual(Array.from({ length: total % T === 1 ? total - 1 : total }, (_, i) => i + 1));
      }),
      { numRuns: 100 },
    );
  });
});
