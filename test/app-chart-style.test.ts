import { describe, expect, it } from 'vitest';
import { formatSignificant } from '../src/app/components/format';
import { chartValue, contrast, heatColour, heatGradient, heatmapMove, heatTextColour, hslToRgb, luminance, seriesColours, validationStyle } from '../src/app/components/chart-style';

describe('formatSignificant', () => {
  it('rounds to four significant digits and drops trailing zeros', () => {
    expect(formatSignificant(2.4239465860882774)).toBe('2.424');
    expect(formatSignificant(2.5)).toBe('2.5');
    expect(formatSignificant(-0.6931471805599453)).toBe('-0.6931');
    expect(formatSignificant(10)).toBe('10');
    expect(formatSignificant(12345.678)).toBe('12350');
    expect(formatSignificant(0.0123456)).toBe('0.01235');
    expect(formatSignificant(0.00123456)).toBe('1.235e-3');
    expect(formatSignificant(2.4239, 2)).toBe('2.4');
  });

  it('writes very small and very large magnitudes with an exponent', () => {
    expect(formatSignificant(0.0002)).toBe('2e-4');
    expect(formatSignificant(1.5e-4)).toBe('1.5e-4');
    expect(formatSignificant(0.00012345678)).toBe('1.235e-4');
    expect(formatSignificant(3.2e-12)).toBe('3.2e-12');
    expect(formatSignificant(4.56789e9)).toBe('4.568e9');
  });

  it('says zero and non-finite values plainly', () => {
    expect(formatSignificant(0)).toBe('0');
    expect(formatSignificant(NaN)).toBe('–');
    expect(formatSignificant(Infinity)).toBe('–');
  });
});

describe('chartValue', () => {
  it('rounds numbers and leaves other values as they are', () => {
    expect(chartValue(2.4239465860882774)).toBe('2.424');
    expect(chartValue('GoRA')).toBe('GoRA');
    expect(chartValue([1.23456, 2.34567])).toBe('1.235 – 2.346');
    expect(chartValue(undefined)).toBe('');
  });
});

describe('seriesColours', () => {
  it('gives validation a colour of its own, for one run and for each of several', () => {
    const one = seriesColours(0, 1);
    expect(one.validation).not.toBe(one.train);
    const many = Array.from({ length: 8 }, (_, i) => seriesColours(i, 8));
    for (const c of many) expect(c.validation).not.toBe(c.train);
    // Every curve of eight overlaid runs has its own colour.
    expect(new Set(many.flatMap((c) => [c.train, c.validation])).size).toBe(16);
    expect(seriesColours(9, 10)).toEqual(seriesColours(1, 10));
  });
});

describe('heatColour', () => {
  it('runs from dark teal at 0 to orange at 1, clamped outside [0, 1]', () => {
    expect(heatColour(0)).toBe('hsl(160, 70%, 18%)');
    expect(heatColour(1)).toBe('hsl(30, 70%, 48%)');
    expect(heatColour(0.5)).toBe('hsl(95, 70%, 33%)');
    expect(heatColour(-1)).toBe(heatColour(0));
    expect(heatColour(2)).toBe(heatColour(1));
    expect(heatColour(NaN)).toBe(heatColour(0));
  });

  it('draws its legend with the same colours', () => {
    const gradient = heatGradient(3);
    expect(gradient).toBe(`linear-gradient(to right, ${heatColour(0)}, ${heatColour(0.5)}, ${heatColour(1)})`);
  });

  it('writes on every cell in the text colour with the higher contrast, at least 4.5:1', () => {
    expect(heatTextColour(0)).toBe('#ffffff');
    expect(heatTextColour(1)).toBe('#000000');
    for (let t = 0; t <= 1; t += 0.05) {
      const [h, s, l] = /hsl\(([\d.]+), ([\d.]+)%, ([\d.]+)%\)/.exec(heatColour(t))!.slice(1).map(Number);
      const cell = luminance(hslToRgb(h, s / 100, l / 100));
      const text = heatTextColour(t);
      const rgb = [1, 3, 5].map((i) => parseInt(text.slice(i, i + 2), 16) / 255);
      expect(contrast(cell, luminance(rgb)), `t = ${t.toFixed(2)}`).toBeGreaterThanOrEqual(4.5);
    }
  });
});

describe('hslToRgb and luminance', () => {
  it('match known colours', () => {
    expect(hslToRgb(0, 1, 0.5)).toEqual([1, 0, 0]);
    expect(hslToRgb(120, 1, 0.25).map((c) => Math.round(c * 255))).toEqual([0, 128, 0]);
    expect(luminance([1, 1, 1])).toBeCloseTo(1);
    expect(contrast(luminance([1, 1, 1]), luminance([0, 0, 0]))).toBeCloseTo(21);
  });
});

describe('heatmapMove', () => {
  // Two layers × three modules; layer 1 lacks its middle module.
  const present = [
    [true, true, true],
    [true, false, true],
  ];

  it('moves with the arrow keys and stops at the edges', () => {
    expect(heatmapMove(present, [0, 0], 'ArrowRight')).toEqual([0, 1]);
    expect(heatmapMove(present, [0, 2], 'ArrowRight')).toBeNull();
    expect(heatmapMove(present, [0, 0], 'ArrowLeft')).toBeNull();
    expect(heatmapMove(present, [0, 0], 'ArrowDown')).toEqual([1, 0]);
    expect(heatmapMove(present, [1, 0], 'ArrowDown')).toBeNull();
    expect(heatmapMove(present, [1, 2], 'ArrowUp')).toEqual([0, 2]);
  });

  it('skips a cell that does not exist, and does not land in a column without one', () => {
    expect(heatmapMove(present, [1, 0], 'ArrowRight')).toEqual([1, 2]);
    expect(heatmapMove(present, [1, 2], 'ArrowLeft')).toEqual([1, 0]);
    expect(heatmapMove(present, [0, 1], 'ArrowDown')).toBeNull();
  });

  it('goes to the row’s ends with Home and End, and the map’s with Ctrl', () => {
    expect(heatmapMove(present, [1, 2], 'Home')).toEqual([1, 0]);
    expect(heatmapMove(present, [0, 0], 'End')).toEqual([0, 2]);
    expect(heatmapMove(present, [1, 2], 'Home', true)).toEqual([0, 0]);
    expect(heatmapMove(present, [0, 0], 'End', true)).toEqual([1, 2]);
    expect(heatmapMove(present, [0, 0], 'Enter')).toBeNull();
    expect(heatmapMove([], [0, 0], 'Home', true)).toBeNull();
  });
});

describe('validationStyle', () => {
  it('dots every evaluation, even a single one, until there are too many to tell apart', () => {
    expect(validationStyle('#fff', 1).dot).toMatchObject({ r: 5, className: 'series-validation-dot' });
    expect(validationStyle('#fff', 60).dot).not.toBe(false);
    expect(validationStyle('#fff', 61).dot).toBe(false);
    expect(validationStyle('#fff', 1).stroke).toBe('#fff');
  });
});
