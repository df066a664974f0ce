// Splits that the data names itself. A dataset may fix which records train, which validate and which
// are the test set (as published datasets do, and as the sentiment sample does), so that the split
// does not depend on a run's seed: then every record names one, and the validation fraction is not used.
// Without split fields the validation rows are drawn by the seed (./dataset.ts).

import { DataError } from './errors';
import type { Example, SplitName } from './example';

/** The spellings accepted for each split, lower-cased. */
const SPELLINGS: Record<string, SplitName> = {
  train: 'train',
  training: 'train',
  validation: 'validation',
  valid: 'validation',
  val: 'validation',
  dev: 'validation',
  test: 'test',
};

/** A record's split field: undefined when absent, an error for anything but a known split name. */
export function splitField(value: unknown, fail: (detail: string) => DataError): SplitName | undefined {
  if (value === undefined || value === null) return undefined;
  const name = typeof value === 'string' ? SPELLINGS[value.trim().toLowerCase()] : undefined;
  if (name === undefined) throw fail(`"split" is ${JSON.stringify(value)}: use "train", "validation" or "test"`);
  return name;
}

export interface NamedSplit {
  train: number[];
  val: number[];
  test: number[];
}

/**
 * The indices (into `examples`, among `usable`) of each split the records name, or null when none
 * names one. Either every record names its split or none does: a mix would leave some records'
 * place to chance.
 */
export function namedSplit(file: string, examples: readonly Example[], usable: readonly number[]): NamedSplit | null {
  const named = examples.filter((e) => e.split !== undefined).length;
  if (named === 0) return null;
  if (named < examples.length) {
    const first = examples.find((e) => e.split === undefined);
    throw new DataError(file, `has no "split" while ${named} other records name theirs: give every record a split or none`, first?.line);
  }
  const of = (split: SplitName) => usable.filter((i) => examples[i].split === split);
  const result = { train: of('train'), val: of('validation'), test: of('test') };
  if (result.train.length === 0) throw new DataError(file, 'has no usable record with "split": "train": the model needs training examples');
  return result;
}
