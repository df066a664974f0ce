// Interleaved timing of two contenders: after one warm-up each (pipeline creation, first uploads),
// ours, theirs, ours, theirs… so that whatever else the machine does hits both alike. Each timed
// call ends with a GPU sync inside the contender. The median of the timed calls is reported.

export interface Timed {
  /** Median seconds of one call; null when it did not run. */
  seconds: number | null;
  reps: number;
  error: string | null;
}

export interface Contender {
  run(): Promise<unknown>;
}

export interface TimingOptions {
  /** Timed calls per contender at most. */
  maxReps: number;
  /** performance.now() after which no further pair is started (at least one is always timed). */
  until: number;
  /** Given our warm-up's seconds, why the rival should not start (its first call would pass the budget), or null. */
  skipRival?: (oursSeconds: number) => string | null;
}

export async function timeInterleaved(ours: Contender, theirs: Contender | null, theirsError: string | null, options: TimingOptions): Promise<{ ours: Timed; tfjs: Timed }> {
  const mine: number[] = [];
  const other: number[] = [];
  let otherError = theirsError;
  const warmUp = await timeOnce(ours);
  let rival = theirs;
  const skip = rival && options.skipRival ? options.skipRival(warmUp) : null;
  if (skip) {
    otherError = skip;
    rival = null;
  }
  if (rival) {
    try {
      await rival.run();
    } catch (error) {
      otherError = describeError(error);
      rival = null;
    }
  }
  for (let rep = 0; rep < options.maxReps && (rep === 0 || performance.now() < options.until); rep++) {
    mine.push(await timeOnce(ours));
    if (!rival) continue;
    try {
      other.push(await timeOnce(rival));
    } catch (error) {
      otherError = describeError(error);
      rival = null;
    }
  }
  return {
    ours: { seconds: median(mine), reps: mine.length, error: null },
    tfjs: { seconds: other.length ? median(other) : null, reps: other.length, error: other.length ? null : otherError },
  };
}

async function timeOnce(c: Contender): Promise<number> {
  const start = performance.now();
  await c.run();
  return (performance.now() - start) / 1000;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split('\n').slice(0, 4).join(' ').slice(0, 400);
}
