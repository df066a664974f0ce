// How the next token is chosen from a row of logits: greedy (the highest) at temperature 0, else a
// draw from softmax(logits / temperature), kept to the top k tokens (k > 0) and then to the smallest
// set of the most likely whose probability reaches p (p < 1), from a seeded generator, so the same
// seed gives the same text.

import { Random } from './random';

export interface SamplingSettings {
  /** 0: greedy. */
  temperature: number;
  /** 0: no limit. */
  topK: number;
  /** 1: no limit. */
  topP: number;
  seed: number;
}

export const GREEDY: SamplingSettings = { temperature: 0, topK: 0, topP: 1, seed: 0 };

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** A chooser of tokens with these settings; its draws go on from one call to the next. */
export function tokenPicker(settings: SamplingSettings): (logits: Float32Array) => number {
  const { temperature, topK, topP } = settings;
  if (!(temperature >= 0) || !Number.isSafeInteger(topK) || topK < 0 || !(topP > 0 && topP <= 1)) {
    throw new RangeError(`sampling needs a temperature ≥ 0, a top-k ≥ 0 and a top-p in (0, 1], got ${temperature}, ${topK}, ${topP}`);
  }
  if (temperature === 0) return argmax;
  const rng = new Random(settings.seed);
  return (logits) => {
    let order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
    if (topK > 0) order = order.slice(0, topK);
    const top = logits[order[0]];
    const weights = order.map((i) => Math.exp((logits[i] - top) / temperature));
    const total = weights.reduce((a, b) => a + b, 0);
    // The smallest prefix whose probability reaches p (at least one token).
    let kept = 0;
    for (let mass = 0; kept < order.length && (kept === 0 || mass < topP * total); kept++) mass += weights[kept];
    const keptTotal = weights.slice(0, kept).reduce((a, b) => a + b, 0);
    let draw = rng.next() * keptTotal;
    for (let i = 0; i < kept; i++) {
      draw -= weights[i];
      if (draw < 0) return order[i];
    }
    return order[kept - 1];
  };
}
