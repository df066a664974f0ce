// The CLI's load progress: bytes of the total, the rate, and at most one line a second.

import { describe, expect, it } from 'vitest';
import { loadProgressPrinter } from '../src/cli/progress';
import { formatRate } from '../src/train/rate';

describe('load progress on the terminal', () => {
  it('prints bytes, share and rate at most once a second, and always the last report', () => {
    const lines: string[] = [];
    let now = 0;
    const print = loadProgressPrinter((line) => lines.push(line), () => now);
    print({ type: 'phase', phase: 'load', status: 'start' });
    const MiB = 1024 * 1024;
    for (let i = 1; i <= 40; i++) {
      now = 100 * i;
      print({ type: 'progress', phase: 'load', done: i * 10 * MiB, total: 400 * MiB, detail: `t${i}` });
    }
    // Reports every 0.1 s for 4 s: the first, then one a second, then the last.
    expect(lines).toEqual([
      'load: 10 MiB of 400 MiB (2 %), 105 MB/s, t1',
      'load: 110 MiB of 400 MiB (27 %), 105 MB/s, t11',
      'load: 210 MiB of 400 MiB (52 %), 105 MB/s, t21',
      'load: 310 MiB of 400 MiB (77 %), 105 MB/s, t31',
      'load: 400 MiB of 400 MiB (100 %), 105 MB/s',
    ]);
  });

  it('ignores other phases and events', () => {
    const lines: string[] = [];
    const print = loadProgressPrinter((line) => lines.push(line), () => 0);
    print({ type: 'progress', phase: 'scan', done: 1, total: 2 });
    print({ type: 'step', step: 1, of: 1, loss: 1, lr: 1, tokensPerSecond: 1, elapsed: 1, remaining: 0 });
    expect(lines).toEqual([]);
  });

  it('quotes rates in decimal megabytes', () => {
    expect(formatRate(123.4e6)).toBe('123 MB/s');
    expect(formatRate(5.25e6)).toBe('5.3 MB/s');
  });
});
