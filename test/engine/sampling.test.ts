// Choosing the next token: greedy at temperature 0, and draws that follow softmax(logits / T) within
// the top k and the top p, the same for the same seed.

import { describe, expect, it } from 'vitest';
import { tokenPicker, GREEDY } from '../../src/engine/sampling';

// Probabilities 1/6, 2/6, 3/6 at temperature 1, and a very unlikely fourth token.
const LOGITS = Float32Array.from([0, Math.log(2), Math.log(3), -30]);

function frequencies(pick: (logits: Float32Array) => number, draws = 20000): number[] {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < draws; i++) counts[pick(LOGITS)]++;
  return counts.map((c) => c / draws);
}

describe('tokenPicker', () => {
  it('is greedy at temperature 0, with top-k 1 and with a tiny top-p', () => {
    expect(tokenPicker(GREEDY)(LOGITS)).toBe(2);
    expect(frequencies(tokenPicker({ temperature: 1, topK: 1, topP: 1, seed: 1 }), 200)).toEqual([0, 0, 1, 0]);
    expect(frequencies(tokenPicker({ temperature: 1, topK: 0, topP: 0.01, seed: 1 }), 200)).toEqual([0, 0, 1, 0]);
  });

  it('draws in proportion to softmax(logits / T)', () => {
    const at1 = frequencies(tokenPicker({ temperature: 1, topK: 0, topP: 1, seed: 7 }));
    [1 / 6, 2 / 6, 3 / 6, 0].forEach((p, i) => expect(Math.abs(at1[i] - p)).toBeLessThan(0.015));
    // At T = 0.5 the weights square: 1, 4, 9 of 14.
    const atHalf = frequencies(tokenPicker({ temperature: 0.5, topK: 0, topP: 1, seed: 7 }));
    [1 / 14, 4 / 14, 9 / 14].forEach((p, i) => expect(Math.abs(atHalf[i] - p)).toBeLessThan(0.015));
  });

  it('keeps the top k, and the fewest most likely tokens whose probability reaches p', () => {
    const top2 = frequencies(tokenPicker({ temperature: 1, topK: 2, topP: 1, seed: 3 }));
    expect(top2[0]).toBe(0);
    expect(Math.abs(top2[2] - 3 / 5)).toBeLessThan(0.015);
    // 3/6 reaches p = 0.5 alone; p = 0.6 needs the second token too.
    expect(frequencies(tokenPicker({ temperature: 1, topK: 0, topP: 0.5, seed: 3 }), 500)).toEqual([0, 0, 1, 0]);
    const p6 = frequencies(tokenPicker({ temperature: 1, topK: 0, topP: 0.6, seed: 3 }));
    expect(p6[0]).toBe(0);
    expect(Math.abs(p6[1] - 2 / 5)).toBeLessThan(0.015);
  });

  it('gives the same tokens for the same seed, and refuses settings out of range', () => {
    const run = (seed: number) => Array.from({ length: 50 }, ((pick) => () => pick(LOGITS))(tokenPicker({ temperature: 1, topK: 0, topP: 1, seed })));
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
    expect(() => tokenPicker({ temperature: -1, topK: 0, topP: 1, seed: 0 })).toThrow(RangeError);
    expect(() => tokenPicker({ temperature: 1, topK: 0, topP: 0, seed: 0 })).toThrow(/top-p in \(0, 1\]/);
    expect(() => tokenPicker({ temperature: 1, topK: 1.5, topP: 1, seed: 0 })).toThrow(RangeError);
  });
});
