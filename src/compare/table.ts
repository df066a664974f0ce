// The comparison table as text (the CLI) and as CSV (the CLI's --out and the app's download), from
// the same per-method summaries, so both say the same thing.

import { methodLabel } from './methods';
import type { MethodSummary, Stat } from './summary';

/** `mean ± sd`, or the mean alone when there is one run; `–` when nothing was measured. */
export function formatStat(s: Stat | null, digits: number, scale = 1, unit = ''): string {
  if (!s) return '–';
  const mean = `${(s.mean * scale).toFixed(digits)}${unit}`;
  return s.sd === null ? mean : `${mean} ± ${(s.sd * scale).toFixed(digits)}`;
}

export function formatRanks(r: MethodSummary['ranks']): string {
  return r ? `${r.min}–${r.max} (mean ${r.mean.toFixed(1)})` : '–';
}

export function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The table's rows as display strings, headed; shared by the text table and the app. */
export function tableRows(summaries: readonly MethodSummary[]): { header: string[]; rows: string[][] } {
  const accuracy = summaries.some((s) => s.accuracy);
  const test = summaries.some((s) => s.testLoss);
  const testAccuracy = summaries.some((s) => s.testAccuracy);
  const header = [
    'method',
    'runs',
    'lr',
    'validation loss',
    ...(accuracy ? ['accuracy %'] : []),
    ...(test ? ['test loss'] : []),
    ...(testAccuracy ? ['test accuracy %'] : []),
    'trainable parameters',
    'train time (s)',
    'peak GPU memory',
    'ranks',
  ];
  const rows = summaries.map((s) => [
    methodLabel(s.method),
    String(s.runs),
    s.lrs.map((lr) => lr.toExponential(1)).join(' '),
    formatStat(s.valLoss, 4),
    ...(accuracy ? [formatStat(s.accuracy, 1, 100)] : []),
    ...(test ? [formatStat(s.testLoss, 4)] : []),
    ...(testAccuracy ? [formatStat(s.testAccuracy, 1, 100)] : []),
    Math.round(s.trainableParameters.mean).toLocaleString('en-US'),
    formatStat(s.trainSeconds, 1),
    formatMiB(s.peakBytes),
    formatRanks(s.ranks),
  ]);
  return { header, rows };
}

/** Columns padded to their widest cell, two spaces apart. */
export function formatTable(summaries: readonly MethodSummary[]): string {
  const { header, rows } = tableRows(summaries);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const CSV_HEADER = [
  'method',
  'runs',
  'seeds',
  'lr',
  'val_loss_mean',
  'val_loss_sd',
  'accuracy_mean',
  'accuracy_sd',
  'test_loss_mean',
  'test_loss_sd',
  'test_accuracy_mean',
  'test_accuracy_sd',
  'trainable_parameters',
  'train_seconds_mean',
  'train_seconds_sd',
  'peak_gpu_bytes',
  'rank_min',
  'rank_max',
  'rank_mean',
] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Raw numbers (accuracy as a fraction, seconds, bytes); an empty field where nothing was measured. */
export function comparisonCsv(summaries: readonly MethodSummary[]): string {
  const rows = summaries.map((s) => [
    s.method,
    s.runs,
    s.seeds.join(' '),
    s.lrs.join(' '),
    s.valLoss?.mean ?? null,
    s.valLoss?.sd ?? null,
    s.accuracy?.mean ?? null,
    s.accuracy?.sd ?? null,
    s.testLoss?.mean ?? null,
    s.testLoss?.sd ?? null,
    s.testAccuracy?.mean ?? null,
    s.testAccuracy?.sd ?? null,
    s.trainableParameters.mean,
    s.trainSeconds.mean,
    s.trainSeconds.sd,
    s.peakBytes,
    s.ranks?.min ?? null,
    s.ranks?.max ?? null,
    s.ranks?.mean ?? null,
  ]);
  return [CSV_HEADER as readonly (string | number | null)[], ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
