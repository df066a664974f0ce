// Comparisons of the same settings, model and data on different seeds (run one after another, or side
// by side on one machine's cores) pooled into one: their runs together, summarised again. Anything
// that would make the pooled table compare unlike runs is refused, naming what differs.

import { PER_METHOD_SETTINGS, type SettingKey } from '../train/settings';
import { comparisonReport, type ComparisonReport } from './report';

/** `reports` by name (the folder each came from), for messages. */
export function mergeReports(reports: ReadonlyArray<{ name: string; report: ComparisonReport }>): ComparisonReport {
  if (reports.length === 0) throw new RangeError('nothing to merge: give at least one comparison');
  const [first, ...rest] = reports;
  for (const { name, report } of rest) {
    // A per-method setting (the LoRA+ ratio) is its first method's there, so comparisons of other
    // methods may differ in it without differing in what each method ran with.
    const [a, b] = [first.report.settings, report.settings] as Array<Record<string, unknown>>;
    const differ = Object.keys({ ...a, ...b }).filter((key) => !PER_METHOD_SETTINGS.includes(key as SettingKey) && JSON.stringify(a[key]) !== JSON.stringify(b[key]));
    if (differ.length) throw new RangeError(`${name} ran with other settings than ${first.name} (${differ.join(', ')}): only comparisons of the same settings can be merged`);
    if (report.model !== first.report.model) throw new RangeError(`${name} ran on the model ${report.model}, ${first.name} on ${first.report.model}`);
    if (report.data !== first.report.data) throw new RangeError(`${name} ran on the data ${report.data}, ${first.name} on ${first.report.data}`);
  }
  const seen = new Set<string>();
  for (const { name, report } of reports) {
    for (const run of report.runs) {
      const key = `${run.method} seed ${run.seed}`;
      if (seen.has(key)) throw new RangeError(`${key} is in more than one comparison (again in ${name}): each run may be counted once`);
      seen.add(key);
    }
  }
  // Seed by seed, as one comparison of every seed would have run them.
  const runs = reports.flatMap(({ report }) => report.runs).sort((a, b) => a.seed - b.seed);
  const methods = [...new Set(reports.flatMap(({ report }) => report.methods))];
  const seeds = [...new Set(reports.flatMap(({ report }) => report.seeds))].sort((a, b) => a - b);
  // comparisonReport takes a whole config; the method, seed and rate it drops again vary per run.
  const settings = { ...first.report.settings, method: methods[0], seed: seeds[0], lr: runs[0]?.lr ?? 0 };
  return comparisonReport({ settings, methods, seeds, model: first.report.model, data: first.report.data, runs });
}
