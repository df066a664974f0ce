// How fast whole runs went on this browser's GPU, per model: the seconds of the last finished run per
// trained token (steps × rows × tokens per row), evaluation included. The time shown next to Run
// before a run starts is read from it; until a model has finished a run here, the page says the
// time is measured after the first step.

import type { JobConfig } from '../train/config';

const KEY = 'gora.run-speed';

type Speeds = Record<string, number>;

const trainedTokens = (config: Pick<JobConfig, 'steps' | 'batchSize' | 'seqLen'>) => config.steps * config.batchSize * config.seqLen;

/** The speeds after a run of `model` took `seconds`. */
export function withRunSpeed(speeds: Speeds, model: string, config: Pick<JobConfig, 'steps' | 'batchSize' | 'seqLen'>, seconds: number): Speeds {
  const tokens = trainedTokens(config);
  return tokens > 0 && seconds > 0 ? { ...speeds, [model]: seconds / tokens } : speeds;
}

/** Seconds a run of `config` on `model` should take at the last measured speed; null when none is known. */
export function expectedRunSeconds(speeds: Speeds, model: string, config: Pick<JobConfig, 'steps' | 'batchSize' | 'seqLen'>): number | null {
  const perToken = speeds[model];
  return perToken === undefined ? null : perToken * trainedTokens(config);
}

export function storedSpeeds(): Speeds {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? '{}') as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Speeds) : {};
  } catch {
    return {};
  }
}

export function storeSpeeds(speeds: Speeds): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(speeds));
  } catch {
    // A full or refused storage only costs the estimate next to Run.
  }
}
