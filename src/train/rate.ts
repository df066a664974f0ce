// The rate of a stream of progress counts (bytes loaded or downloaded), as its consumers show it:
// the job reports counts only, so each client measures the time itself (the app's state fold, the
// CLI's printing).

export interface RateWindow {
  /** Milliseconds (any one clock) when the window opened, and the count then. */
  at: number;
  start: number;
  /** The latest count seen. */
  last: number;
}

/** A window opened when a phase starts, before its first count. */
export function openRate(now: number): RateWindow {
  return { at: now, start: 0, last: 0 };
}

/**
 * The window after one more count, and the rate over it (units per second; null until time has
 * passed). A count that goes back starts a new stream (the app downloads a model and then uploads
 * it to the GPU, each counted from zero); its window opens at that count, as its start is unknown.
 */
export function advanceRate(window: RateWindow | null, done: number, now: number): { window: RateWindow; rate: number | null } {
  const open = !window || done < window.last ? { at: now, start: done, last: done } : { ...window, last: done };
  const seconds = (now - open.at) / 1000;
  return { window: open, rate: seconds > 0 ? (done - open.start) / seconds : null };
}

/** Bytes per second in decimal megabytes, as transfer speeds are quoted. */
export function formatRate(bytesPerSecond: number): string {
  const mb = bytesPerSecond / 1e6;
  return `${mb >= 100 ? mb.toFixed(0) : mb.toFixed(1)} MB/s`;
}
