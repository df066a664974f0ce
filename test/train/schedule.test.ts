import { describe, expect, it } from 'vitest';
import { learningRate, warmupSteps } from '../../src/train/schedule';

const close = (got: number, want: number) => expect(got).toBeCloseTo(want, 15);

describe('warmupSteps', () => {
  it('is 3 % of the steps, rounded, at least 1, and 0 without warm-up', () => {
    expect(warmupSteps(100)).toBe(3);
    expect(warmupSteps(1000)).toBe(30);
    expect(warmupSteps(10)).toBe(1); // round(0.3) = 0, raised to 1
    expect(warmupSteps(1)).toBe(1);
    expect(warmupSteps(50)).toBe(2); // round(1.5) = 2
    expect(warmupSteps(100, 0)).toBe(0);
    expect(warmupSteps(4, 1)).toBe(4);
  });

  it('rejects impossible settings', () => {
    expect(() => warmupSteps(0)).toThrow(RangeError);
    expect(() => warmupSteps(2.5)).toThrow(RangeError);
    expect(() => warmupSteps(10, -0.1)).toThrow(RangeError);
    expect(() => warmupSteps(10, 1.5)).toThrow(RangeError);
  });
});

describe('learningRate', () => {
  const baseLr = 1e-3;

  it('warms up linearly from baseLr / W at the first step to baseLr at step W − 1', () => {
    const options = { baseLr, totalSteps: 100 }; // W = 3
    close(learningRate(0, options), baseLr / 3);
    close(learningRate(1, options), (2 * baseLr) / 3);
    close(learningRate(2, options), baseLr);
  });

  it('decays along a cosine from the peak to 0 at the last step', () => {
    const options = { baseLr, totalSteps: 100 }; // peak at step 2, 97 decay steps
    close(learningRate(3, options), (baseLr * (1 + Math.cos(Math.PI / 97))) / 2);
    close(learningRate(50, options), (baseLr * (1 + Math.cos((Math.PI * 48) / 97))) / 2);
    close(learningRate(99, options), 0);
  });

  it('decays to a floor of minRatio · baseLr, halfway at the middle of the decay', () => {
    const options = { baseLr, totalSteps: 101, minRatio: 0.1 }; // W = round(3.03) = 3, 98 decay steps
    close(learningRate(2, options), baseLr);
    close(learningRate(51, options), 1e-4 + 0.9e-3 / 2); // progress 49 / 98 = 1/2
    close(learningRate(100, options), 1e-4);
  });

  it('starts at baseLr without warm-up', () => {
    const options = { baseLr, totalSteps: 5, warmupFraction: 0 };
    close(learningRate(0, options), baseLr);
    close(learningRate(2, options), baseLr / 2); // progress 2 / 4
    close(learningRate(4, options), 0);
  });

  it('uses baseLr for a run of a single step, with or without warm-up', () => {
    close(learningRate(0, { baseLr, totalSteps: 1 }), baseLr);
    close(learningRate(0, { baseLr, totalSteps: 1, warmupFraction: 0 }), baseLr);
    // Two steps without warm-up: the peak, then the floor.
    close(learningRate(0, { baseLr, totalSteps: 2, warmupFraction: 0, minRatio: 0.1 }), baseLr);
    close(learningRate(1, { baseLr, totalSteps: 2, warmupFraction: 0, minRatio: 0.1 }), 1e-4);
  });

  it('rises strictly during warm-up, then never rises, and decays within [floor, baseLr]', () => {
    for (const [totalSteps, warmupFraction, minRatio] of [
      [1000, 0.03, 0],
      [1000, 0.03, 0.1],
      [37, 0.1, 0],
      [7, 0, 0.1],
    ]) {
      const options = { baseLr, totalSteps, warmupFraction, minRatio };
      const W = warmupSteps(totalSteps, warmupFraction);
      const lrs = Array.from({ length: totalSteps }, (_, s) => learningRate(s, options));
      for (let s = 1; s < W; s++) expect(lrs[s]).toBeGreaterThan(lrs[s - 1]);
      for (let s = Math.max(W, 1); s < totalSteps; s++) expect(lrs[s]).toBeLessThanOrEqual(lrs[s - 1]);
      // The floor bounds the decay only: warm-up starts below it (at baseLr / W).
      for (const lr of lrs.slice(W)) {
        expect(lr).toBeGreaterThanOrEqual(minRatio * baseLr * (1 - 1e-12));
        expect(lr).toBeLessThanOrEqual(baseLr * (1 + 1e-12));
      }
      expect(lrs[0]).toBeGreaterThan(0);
      expect(Math.max(...lrs)).toBeCloseTo(baseLr, 15);
    }
  });

  it('rejects steps outside the run and bad settings', () => {
    const options = { baseLr, totalSteps: 10 };
    expect(() => learningRate(-1, options)).toThrow(RangeError);
    expect(() => learningRate(10, options)).toThrow(RangeError);
    expect(() => learningRate(1.5, options)).toThrow(RangeError);
    expect(() => learningRate(0, { baseLr: -1, totalSteps: 10 })).toThrow(RangeError);
    expect(() => learningRate(0, { baseLr, totalSteps: 10, minRatio: 2 })).toThrow(RangeError);
  });
});
