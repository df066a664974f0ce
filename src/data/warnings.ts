// What about a prepared dataset deserves a warning before anything trains, each with its fix named in
// the settings' own words: a validation split too small to measure anything, examples cut or left
// out by the sequence length, and prompts run into their completions with nothing between them
// (./separator.ts). Shared by the app's dataset panel and the CLI.

import type { DatasetStats } from './prepare';

/** Below this many validation examples one example moves accuracy by more than 5 points. */
export const FEW_VALIDATION_EXAMPLES = 20;
/** Share of the examples cut or left out by the sequence length worth a warning. */
export const HEAVY_CUT_SHARE = 0.05;

const percent = (part: number, whole: number) => `${Math.round((100 * part) / whole)} %`;

export function datasetWarnings(stats: DatasetStats, seqLen: number): string[] {
  const warnings: string[] = [];
  const fix = stats.splitFrom === 'file' ? 'name more records "validation" in the file' : 'raise the validation fraction or add examples';
  if (stats.valExamples === 0) {
    warnings.push(`there are no validation examples, so nothing will measure what the adapter learned: ${fix}`);
  } else if (stats.valExamples < FEW_VALIDATION_EXAMPLES) {
    warnings.push(`only ${stats.valExamples} validation example${stats.valExamples === 1 ? '' : 's'}: one example moves accuracy by ${percent(1, stats.valExamples)}; ${fix}`);
  }
  if (stats.examples > 0 && stats.dropped / stats.examples >= HEAVY_CUT_SHARE) {
    warnings.push(`${stats.dropped} of ${stats.examples} examples (${percent(stats.dropped, stats.examples)}) are left out: the sequence length (${seqLen} tokens) leaves none of their completion; raise the sequence length`);
  }
  if (stats.examples > 0 && stats.truncated / stats.examples >= HEAVY_CUT_SHARE) {
    warnings.push(`${stats.truncated} of ${stats.examples} examples (${percent(stats.truncated, stats.examples)}) are cut at the sequence length (${seqLen} tokens), losing the end of their completion; raise the sequence length`);
  }
  if (stats.glued > 0) {
    const sample = stats.gluedExample === null ? '' : ` (${JSON.stringify(stats.gluedExample)})`;
    const which = stats.glued === stats.examples ? `all ${stats.examples} examples run` : `${stats.glued} of ${stats.examples} examples run`;
    warnings.push(`${which} prompt and completion together with nothing between them${sample}: the model learns them as one word; choose the separator space or newline`);
  }
  return warnings;
}
