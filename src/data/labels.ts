// Classification datasets (sentiment, entailment, yes/no…) are prompt/completion data whose
// completions come from a small fixed set. Evaluation can then score each validation prompt by
// comparing the log-likelihoods of every label's continuation, an accuracy rather than a loss, as
// the GLUE results GoRA reports are.

import { isCompletion, type Example } from './example';

/** More distinct completions than this is generation, not classification. */
export const MAX_LABELS = 10;
/** A label seen once is more likely free text than a class. */
export const MIN_LABEL_COUNT = 2;

export interface LabelSet {
  /** The distinct completions, in order of first appearance in the file. */
  labels: string[];
  /** How many examples have each label. */
  counts: number[];
}

/**
 * The label set when every example is prompt/completion and the completions are 2 to MAX_LABELS
 * distinct strings, each appearing at least MIN_LABEL_COUNT times; otherwise null. Completions are
 * compared exactly, since the continuation the model scores is the exact text.
 */
export function detectLabels(examples: readonly Example[]): LabelSet | null {
  const counts = new Map<string, number>();
  for (const example of examples) {
    if (!isCompletion(example)) return null;
    counts.set(example.completion, (counts.get(example.completion) ?? 0) + 1);
    if (counts.size > MAX_LABELS) return null;
  }
  if (counts.size < 2) return null;
  for (const count of counts.values()) if (count < MIN_LABEL_COUNT) return null;
  return { labels: [...counts.keys()], counts: [...counts.values()] };
}
