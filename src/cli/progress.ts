// The load phase's progress on the terminal: bytes done of the total and the rate, at most one line
// a second (a checkpoint has hundreds of tensors, and a line per tensor would bury the rest), and
// always the last one.

import { formatBytes } from '../engine/memory';
import type { JobEvent } from '../train/events';
import { advanceRate, formatRate, openRate, type RateWindow } from '../train/rate';

export function loadProgressPrinter(log: (line: string) => void, clock: () => number = () => performance.now()): (event: JobEvent) => void {
  let window: RateWindow | null = null;
  let printedAt = -Infinity;
  return (event) => {
    if (event.type === 'phase' && event.phase === 'load' && event.status === 'start') window = openRate(clock());
    if (event.type !== 'progress' || event.phase !== 'load') return;
    const now = clock();
    const advanced = advanceRate(window, event.done, now);
    window = advanced.window;
    const last = event.done >= event.total;
    if (!last && now - printedAt < 1000) return;
    printedAt = now;
    const share = event.total > 0 ? ` (${Math.floor((100 * event.done) / event.total)} %)` : '';
    const rate = advanced.rate === null ? '' : `, ${formatRate(advanced.rate)}`;
    log(`load: ${formatBytes(event.done)} of ${formatBytes(event.total)}${share}${rate}${last ? '' : `, ${event.detail ?? ''}`}`);
  };
}
