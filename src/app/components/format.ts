// Byte counts and durations are written the same way in the app, the CLI and error messages.
import { formatBytes } from '../../engine/memory';
import { formatSeconds } from '../../train/run-time';

export { formatBytes, formatSeconds };

export function formatCount(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)} k` : n.toLocaleString('en-US');
}

/** A run's GPU memory as the fold holds it (src/app/state/fold.ts RunState.memory). */
type RunMemory = { bytes: number; peak: number; estimate?: number; final?: boolean } | null;

/** While running: held now and the peak so far; after the run: the run's measured peak and the estimate. */
export function memoryText(memory: RunMemory): string {
  if (!memory) return '–';
  if (memory.final) return `peak ${formatBytes(memory.peak)}${memory.estimate ? ` (estimated ${formatBytes(memory.estimate)})` : ''}`;
  return `${formatBytes(memory.bytes)} (peak ${formatBytes(memory.peak)})`;
}

/**
 * Generated text as the page shows it: text that is only whitespace (or nothing) would be an empty
 * cell, so its spaces and line breaks are drawn (␣, ↵) or "(nothing)" is said.
 */
export function visibleText(text: string): string {
  if (text === '') return '(nothing)';
  return text.trim() === '' ? drawWhitespace(text) : text;
}

/** Spaces, line breaks and tabs drawn as ␣, ↵ and ⇥ (a carriage return is dropped: ↵ stands for the break). */
export function drawWhitespace(text: string): string {
  return text.replace(/\r/g, '').replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/\s/gu, '·');
}

/**
 * A preview row cut where prompt and completion meet: the whitespace on either side of the boundary
 * (the separator, whether the data holds it or the Separator setting put it there) apart from the
 * text, so the page can draw it; both are empty when the two parts run together.
 */
export function splitAtSeparator(prompt: string, completion: string): { prompt: string; promptSpace: string; completionSpace: string; completion: string } {
  const space = (c: string) => /\s/u.test(c);
  let end = prompt.length;
  while (end > 0 && space(prompt[end - 1])) end--;
  let start = 0;
  while (start < completion.length && space(completion[start])) start++;
  return { prompt: prompt.slice(0, end), promptSpace: prompt.slice(end), completionSpace: completion.slice(0, start), completion: completion.slice(start) };
}

/** Which rows an accuracy was counted on, and why they may be fewer than the split's. */
export function scoredRowsNote(examples: number, split: 'validation' | 'test', config: { evalBatches: number; batchSize: number }): string {
  const bounded = config.evalBatches > 0 ? `at most the first ${config.evalBatches} × ${config.batchSize} ${split} rows (the Validation batches setting)` : `every ${split} row`;
  return `on ${examples} examples: ${bounded} whose completion is one of the labels`;
}

/** A step's learning rate; a schedule at its floor of 0 says so rather than showing 0.00e+0. */
export function formatLearningRate(lr: number, peak: number): string {
  return lr === 0 ? `0 (the schedule's end; peak ${peak.toExponential(1)})` : lr.toExponential(2);
}

/**
 * A measured value rounded to `digits` significant digits for charts and heatmaps: trailing zeros
 * dropped, and magnitudes under 0.01 or from a million up in exponent form (1.5e-4), so that the
 * values of one quantity (a learning rate, an importance) read alike whatever their size. Full
 * precision stays in the CSV and JSON downloads.
 */
export function formatSignificant(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-2 && magnitude < 1e6) {
    const text = value.toPrecision(digits);
    // toPrecision writes 12345 at 4 digits as 1.235e+4; a plain number is clearer below a million.
    const plain = text.includes('e') ? String(Number(text)) : text;
    return plain.includes('.') ? plain.replace(/\.?0+$/, '') : plain;
  }
  const [mantissa, exponent] = value.toExponential(digits - 1).split('e');
  return `${mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa}e${Number(exponent)}`;
}
