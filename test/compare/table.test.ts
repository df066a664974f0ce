import { describe, expect, it } from 'vitest';
import { comparisonCsv, csvField, CSV_HEADER, formatStat, formatTable } from '../../src/compare/table';
import { summarize, type RunRecord } from '../../src/compare/summary';

const base: RunRecord = {
  method: 'lora',
  seed: 0,
  lr: 0.002,
  valLoss: 0.41,
  accuracy: 0.6,
  testLoss: null,
  testAccuracy: null,
  trainableParameters: 74752,
  trainSeconds: 10,
  totalSeconds: 11,
  peakBytes: 3 * 2 ** 20,
  ranks: null,
  trainLoss: [],
  validation: [],
};

const summaries = summarize(
  [
    base,
    { ...base, seed: 1, valLoss: 0.43, accuracy: 0.64, trainSeconds: 12 },
    { ...base, method: 'gora', lr: 3e-4, valLoss: 0.4, accuracy: 0.62, trainableParameters: 71520, ranks: [{ name: 'x', rank: 4 }, { name: 'y', rank: 32 }] },
  ],
  ['gora', 'lora'],
);

describe('formatStat', () => {
  it('writes mean ± sd, or the mean alone', () => {
    expect(formatStat({ mean: 0.6, sd: 0.02, n: 2 }, 1, 100)).toBe('60.0 ± 2.0');
    expect(formatStat({ mean: 0.41234, sd: null, n: 1 }, 3)).toBe('0.412');
    expect(formatStat(null, 3)).toBe('–');
  });
});

describe('formatTable', () => {
  it('aligns one row per method under a header', () => {
    const lines = formatTable(summaries).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^method\s+runs\s+lr\s+validation loss\s+accuracy %\s+trainable parameters/);
    expect(lines[2]).toMatch(/^GoRA\s+1\s+3\.0e-4\s+0\.4000\s+62\.0\s+71,520\s+10\.0\s+3\.0 MiB\s+4–32 \(mean 18\.0\)$/);
    expect(lines[3]).toMatch(/^LoRA\s+2\s+2\.0e-3\s+0\.4200 ± 0\.0141\s+62\.0 ± 2\.8\s+74,752\s+11\.0 ± 1\.4\s+3\.0 MiB\s+–$/);
    // Columns line up: every row's "trainable" cell starts where the header's does.
    const column = lines[0].indexOf('trainable');
    expect(lines[2].slice(column).startsWith('71,520')).toBe(true);
    expect(lines[3].slice(column).startsWith('74,752')).toBe(true);
  });

  it('adds test columns when the runs scored a test split', () => {
    const tested = summarize([{ ...base, testLoss: 0.43, testAccuracy: 0.58 }, { ...base, seed: 1, testLoss: 0.45, testAccuracy: 0.62 }], ['lora']);
    const lines = formatTable(tested).split('\n');
    expect(lines[0]).toMatch(/accuracy %\s+test loss\s+test accuracy %\s+trainable/);
    expect(lines[2]).toMatch(/0\.4400 ± 0\.0141\s+60\.0 ± 2\.8/);
    expect(comparisonCsv(tested).split('\r\n')[1].split(',').slice(8, 12).map(Number)).toEqual([0.44, expect.closeTo(Math.SQRT2 * 0.01, 12), 0.6, expect.closeTo(Math.SQRT2 * 0.02, 12)]);
  });

  it('drops the accuracy column when no run has labels', () => {
    const none = summarize([{ ...base, accuracy: null }], ['lora']);
    expect(formatTable(none)).not.toMatch(/accuracy/);
  });
});

describe('comparisonCsv', () => {
  it('writes the header and one row of raw numbers per method', () => {
    const lines = comparisonCsv(summaries).split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe(CSV_HEADER.join(','));
    const gora = lines[1].split(',');
    const lora = lines[2].split(',');
    expect(gora.slice(0, 8)).toEqual(['gora', '1', '0', '0.0003', '0.4', '', '0.62', '']);
    expect(gora.slice(16)).toEqual(['4', '32', '18']);
    expect(lora[0]).toBe('lora');
    expect(lora[2]).toBe('0 1');
    expect(Number(lora[4])).toBeCloseTo(0.42, 12);
    expect(Number(lora[5])).toBeCloseTo(Math.SQRT2 * 0.01, 12);
    expect(lora[15]).toBe(String(3 * 2 ** 20));
    expect(lora.slice(16)).toEqual(['', '', '']);
  });

  it('quotes fields with commas, quotes and line breaks', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('x\ny')).toBe('"x\ny"');
    expect(csvField(null)).toBe('');
    expect(csvField(1.5)).toBe('1.5');
  });
});
