import { describe, expect, it } from 'vitest';
import { allocateRanks, allocationProblem, DEFAULT_ALLOCATION, type LayerImportance } from '../../src/gora/allocate';

// Three layers with hand-picked importances (sum 10) and shapes.
const LAYERS: LayerImportance[] = [
  { name: 'q', m: 64, n: 64, importance: 1 }, // m+n = 128
  { name: 'v', m: 16, n: 64, importance: 6 }, // m+n = 80
  { name: 'down', m: 64, n: 176, importance: 3 }, // m+n = 240
];

describe('GoRA rank allocation (docs/gora.md §4)', () => {
  it('follows the formula with f = identity', () => {
    const a = allocateRanks(LAYERS, DEFAULT_ALLOCATION);
    // budget = 8 · (128 + 80 + 240) = 3584
    expect(a.budget).toBe(3584);
    expect(a.layers.map((l) => l.advantage)).toEqual([0.1, 0.6, 0.3]);
    // q: floor(round(358.4)/128) = floor(358/128) = 2 → clipped up to 4
    // v: floor(round(2150.4)/80) = floor(2150/80) = 26
    // down: floor(round(1075.2)/240) = floor(1075/240) = 4
    expect(a.layers.map((l) => l.rank)).toEqual([4, 26, 4]);
    expect(a.targetParameters).toBe(3584);
    expect(a.trainableParameters).toBe(4 * 128 + 26 * 80 + 4 * 240);
  });

  it('changes exactly as the formula says with other bounds', () => {
    const a = allocateRanks(LAYERS, { ...DEFAULT_ALLOCATION, rankMin: 1, rankMax: 16 });
    expect(a.layers.map((l) => l.rank)).toEqual([2, 16, 4]);
    const b = allocateRanks(LAYERS, { ...DEFAULT_ALLOCATION, rankMin: 0, rankMax: 64 });
    expect(b.layers.map((l) => l.rank)).toEqual([2, 26, 4]);
  });

  it('uses √ and log1p feature functions', () => {
    const s = allocateRanks(LAYERS, { ...DEFAULT_ALLOCATION, features: 'sqrt', rankMin: 1, rankMax: 1000 });
    const budget = 8 * (Math.sqrt(128) + Math.sqrt(80) + Math.sqrt(240));
    expect(s.budget).toBeCloseTo(budget, 12);
    expect(s.layers.map((l) => l.rank)).toEqual([
      Math.floor(Math.round(budget * 0.1) / Math.sqrt(128)),
      Math.floor(Math.round(budget * 0.6) / Math.sqrt(80)),
      Math.floor(Math.round(budget * 0.3) / Math.sqrt(240)),
    ]);
    // budget = 8 · (11.31 + 8.94 + 15.49) = 286.0: floor(29/11.31) = 2, floor(172/8.94) = 19, floor(86/15.49) = 5
    expect(s.layers.map((l) => l.rank)).toEqual([2, 19, 5]);
    const l = allocateRanks(LAYERS, { ...DEFAULT_ALLOCATION, features: 'log1p', rankMin: 1, rankMax: 1000 });
    const lb = 8 * (Math.log1p(128) + Math.log1p(80) + Math.log1p(240));
    expect(l.layers.map((x) => x.rank)).toEqual([
      Math.floor(Math.round(lb * 0.1) / Math.log1p(128)),
      Math.floor(Math.round(lb * 0.6) / Math.log1p(80)),
      Math.floor(Math.round(lb * 0.3) / Math.log1p(240)),
    ]);
  });

  it('gives every layer r_ref when importances are proportional to f(m + n)', () => {
    const layers = LAYERS.map((l) => ({ ...l, importance: l.m + l.n }));
    expect(allocateRanks(layers, DEFAULT_ALLOCATION).layers.map((l) => l.rank)).toEqual([8, 8, 8]);
  });

  it('refuses bad settings and degenerate scans with clear messages', () => {
    expect(() => allocateRanks(LAYERS, { ...DEFAULT_ALLOCATION, rankMin: 40 })).toThrow(/^r_min \(40\) is above r_max \(32\)$/);
    expect(() => allocateRanks(LAYERS, { ...DEFAULT_ALLOCATION, rankRef: 0 })).toThrow(/^r_ref must be at least 1, got 0$/);
    expect(allocationProblem({ ...DEFAULT_ALLOCATION, rankMax: 2.5 })).toBe('r_max must be a whole number ≥ 0, got 2.5');
    expect(allocationProblem(DEFAULT_ALLOCATION)).toBeNull();
    expect(() => allocateRanks(LAYERS.map((l) => ({ ...l, importance: 0 })), DEFAULT_ALLOCATION)).toThrow(/every importance is zero/);
    expect(() => allocateRanks([{ ...LAYERS[0], importance: NaN }, LAYERS[1]], DEFAULT_ALLOCATION)).toThrow(/q is NaN/);
  });
});
