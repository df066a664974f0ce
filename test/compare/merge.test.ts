import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeReports } from '../../src/compare/merge';
import { comparisonReport, type ComparisonReport } from '../../src/compare/report';
import type { RunRecord } from '../../src/compare/summary';
import { defaultConfig, type Method } from '../../src/train/config';
import { gora } from '../cli-runner';

function run(method: Method, seed: number, testAccuracy: number): RunRecord {
  return {
    method, seed, lr: 1e-3, valLoss: 0.3, accuracy: 0.6, testLoss: 0.31, testAccuracy, trainableParameters: 100, trainSeconds: 10, totalSeconds: 12, peakBytes: 1000, ranks: null, trainLoss: [], validation: [],
  };
}

function comparison(seeds: number[], change: Partial<ReturnType<typeof defaultConfig>> = {}): ComparisonReport {
  const runs = seeds.flatMap((seed) => [run('gora', seed, 0.6 + seed / 100), run('lora', seed, 0.5 + seed / 100)]);
  return comparisonReport({ settings: { ...defaultConfig('gora'), ...change }, methods: ['gora', 'lora'], seeds, model: '/m', data: '/d', runs });
}

describe('mergeReports', () => {
  it('pools the runs of comparisons on other seeds and summarises them again', () => {
    const merged = mergeReports([{ name: 'a', report: comparison([2, 3]) }, { name: 'b', report: comparison([0, 1]) }]);
    expect(merged.seeds).toEqual([0, 1, 2, 3]);
    expect(merged.methods).toEqual(['gora', 'lora']);
    expect(merged.runs).toHaveLength(8);
    const gora = merged.summaries.find((s) => s.method === 'gora')!;
    expect(gora.runs).toBe(4);
    expect(gora.testAccuracy!.mean).toBeCloseTo(0.615, 12);
    // The same as one comparison of all four seeds.
    expect(merged).toEqual(comparison([0, 1, 2, 3]));
  });

  it('refuses other settings, another model or data, a run counted twice, and nothing', () => {
    expect(() => mergeReports([{ name: 'a', report: comparison([0]) }, { name: 'b', report: comparison([1], { steps: 7, rank: 4 }) }])).toThrow(
      /^b ran with other settings than a \(steps, rank\): only comparisons of the same settings can be merged$/,
    );
    expect(() => mergeReports([{ name: 'a', report: comparison([0]) }, { name: 'b', report: { ...comparison([1]), data: '/e' } }])).toThrow(/^b ran on the data \/e, a on \/d$/);
    expect(() => mergeReports([{ name: 'a', report: comparison([0]) }, { name: 'b', report: { ...comparison([1]), model: '/n' } }])).toThrow(/^b ran on the model \/n, a on \/m$/);
    expect(() => mergeReports([{ name: 'a', report: comparison([0, 1]) }, { name: 'b', report: comparison([1]) }])).toThrow(/^gora seed 1 is in more than one comparison \(again in b\)/);
    expect(() => mergeReports([])).toThrow(/nothing to merge/);
    // Per-method settings are the first method's in each comparison: comparisons of other methods differ there.
    expect(mergeReports([{ name: 'a', report: comparison([0]) }, { name: 'b', report: comparison([1], { loraPlusRatio: 1 }) }]).runs).toHaveLength(4);
  });
});

describe('gora compare --merge', () => {
  it('prints and writes one table from the folders, and refuses what it cannot read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gora-merge-'));
    for (const [name, seeds] of [['first', [0, 1]], ['second', [2]]] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'compare.json'), JSON.stringify(comparison([...seeds])));
    }
    const out = join(dir, 'all');
    const merged = await gora(['compare', '--merge', `${join(dir, 'first')},${join(dir, 'second')}`, '--out', out]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).toMatch(/merged 6 runs of 2 comparisons: seeds 0, 1, 2/);
    expect(merged.stdout).toMatch(/GoRA/);
    const written = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as ComparisonReport;
    expect(written.summaries.map((s) => s.runs)).toEqual([3, 3]);
    expect(readFileSync(join(out, 'compare.csv'), 'utf8').split('\n').filter(Boolean)).toHaveLength(3);

    const missing = await gora(['compare', '--merge', join(dir, 'none')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/compare\.json cannot be read: --merge takes folders that gora compare --out wrote/);
    writeFileSync(join(dir, 'second', 'compare.json'), '{');
    const broken = await gora(['compare', '--merge', `${join(dir, 'first')},${join(dir, 'second')}`]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/second\/compare\.json is not JSON/);
    writeFileSync(join(dir, 'second', 'compare.json'), '[]');
    const other = await gora(['compare', '--merge', join(dir, 'second')]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/second\/compare\.json holds no comparison/);
    const mixed = await gora(['compare', '--merge', join(dir, 'first'), '--methods', 'lora']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/--merge takes only --out and --json, got --methods/);
  });
});
