import { describe, expect, it } from 'vitest';
import { stat, summarize, type RunRecord } from '../../src/compare/summary';
import { comparisonSeeds } from '../../src/compare/report';
import { parseMethods } from '../../src/compare/methods';

function record(change: Partial<RunRecord>): RunRecord {
  return {
    method: 'lora',
    seed: 0,
    lr: 2e-4,
    valLoss: 1,
    accuracy: 0.5,
    testLoss: null,
    testAccuracy: null,
    trainableParameters: 100,
    trainSeconds: 10,
    totalSeconds: 12,
    peakBytes: 1000,
    ranks: null,
    trainLoss: [],
    validation: [],
    ...change,
  };
}

describe('stat', () => {
  it('gives the mean and the sample standard deviation (n − 1)', () => {
    const s = stat([2, 4, 4, 4, 5, 5, 7, 9])!;
    expect(s.mean).toBe(5);
    // Σ(x − 5)² = 32; 32 / 7
    expect(s.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.n).toBe(8);
  });

  it('has no sd for one value and nothing for none', () => {
    expect(stat([0.25])).toEqual({ mean: 0.25, sd: null, n: 1 });
    expect(stat([])).toBeNull();
  });
});

describe('summarize', () => {
  it('aggregates each method over its seeds, in the order asked for', () => {
    const runs = [
      record({ method: 'lora', seed: 0, valLoss: 0.4, accuracy: 0.6, trainSeconds: 10, peakBytes: 500 }),
      record({ method: 'gora', seed: 0, valLoss: 0.3, accuracy: 0.7, trainableParameters: 90, ranks: [{ name: 'a', rank: 4 }, { name: 'b', rank: 12 }], peakBytes: 800 }),
      record({ method: 'lora', seed: 1, valLoss: 0.6, accuracy: 0.8, trainSeconds: 14, peakBytes: 700 }),
      record({ method: 'gora', seed: 1, valLoss: 0.5, accuracy: 0.9, trainableParameters: 110, ranks: [{ name: 'a', rank: 6 }, { name: 'b', rank: 10 }], peakBytes: 600 }),
    ];
    const [gora, lora] = summarize(runs, ['gora', 'lora', 'full']);
    expect(gora.method).toBe('gora');
    expect(gora.seeds).toEqual([0, 1]);
    expect(gora.valLoss!.mean).toBeCloseTo(0.4, 12);
    expect(gora.valLoss!.sd).toBeCloseTo(Math.SQRT2 * 0.1, 12);
    expect(gora.trainableParameters.mean).toBe(100);
    expect(gora.peakBytes).toBe(800);
    expect(gora.ranks).toEqual({ min: 4, max: 12, mean: 8 });
    expect(lora.accuracy!.mean).toBeCloseTo(0.7, 12);
    expect(lora.trainSeconds).toEqual({ mean: 12, sd: Math.SQRT2 * 2, n: 2 });
    expect(lora.ranks).toBeNull();
    expect(lora.peakBytes).toBe(700);
  });

  it('leaves out what no run measured', () => {
    const [s] = summarize([record({ valLoss: null, accuracy: null }), record({ seed: 1, valLoss: null, accuracy: null })], ['lora']);
    expect(s.valLoss).toBeNull();
    expect(s.accuracy).toBeNull();
  });
});

describe('the comparison’s inputs', () => {
  it('parses method lists and names the valid methods when one is unknown', () => {
    expect(parseMethods('gora, lora')).toEqual(['gora', 'lora']);
    expect(() => parseMethods('gora,dora')).toThrow(/unknown method "dora": valid methods are gora, lora/);
    expect(() => parseMethods('lora,lora')).toThrow(/listed twice/);
    expect(() => parseMethods(' , ')).toThrow(/at least one method/);
  });

  it('numbers the seeds from the first', () => {
    expect(comparisonSeeds(3, 3)).toEqual([3, 4, 5]);
    expect(() => comparisonSeeds(0, 0)).toThrow(/--seeds must be a whole number ≥ 1, got 0/);
    expect(() => comparisonSeeds(0, 1.5)).toThrow(/--seeds/);
  });
});
