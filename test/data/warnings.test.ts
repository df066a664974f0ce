import { describe, expect, it } from 'vitest';
import { datasetWarnings } from '../../src/data/warnings';
import type { DatasetStats } from '../../src/data/prepare';

function stats(change: Partial<DatasetStats>): DatasetStats {
  return {
    format: 'jsonl', examples: 100, truncated: 0, split: 0, dropped: 0, empty: 0, glued: 0, gluedExample: null, splitFrom: 'seed',
    trainExamples: 90, valExamples: 10, testExamples: 0, trainRows: 90, valRows: 10, testRows: 0, trainTargets: 900, valTargets: 100,
    ...change,
  };
}

describe('datasetWarnings', () => {
  it('says nothing about a dataset with enough validation examples and nothing cut', () => {
    expect(datasetWarnings(stats({ valExamples: 20, examples: 200 }), 64)).toEqual([]);
  });

  it('warns of a validation split too small to measure, naming the fix for seeded and named splits', () => {
    expect(datasetWarnings(stats({ valExamples: 1 }), 64)).toEqual(['only 1 validation example: one example moves accuracy by 100 %; raise the validation fraction or add examples']);
    expect(datasetWarnings(stats({ valExamples: 8, splitFrom: 'file' }), 64)).toEqual(['only 8 validation examples: one example moves accuracy by 13 %; name more records "validation" in the file']);
    expect(datasetWarnings(stats({ valExamples: 0 }), 64)).toEqual(['there are no validation examples, so nothing will measure what the adapter learned: raise the validation fraction or add examples']);
  });

  it('warns when the sequence length leaves out or cuts 5 % of the examples or more, and names the setting', () => {
    const warnings = datasetWarnings(stats({ examples: 200, valExamples: 40, dropped: 90, truncated: 10 }), 32);
    expect(warnings).toEqual([
      '90 of 200 examples (45 %) are left out: the sequence length (32 tokens) leaves none of their completion; raise the sequence length',
      '10 of 200 examples (5 %) are cut at the sequence length (32 tokens), losing the end of their completion; raise the sequence length',
    ]);
    expect(datasetWarnings(stats({ examples: 200, valExamples: 40, dropped: 9, truncated: 9 }), 32)).toEqual([]);
  });

  it('warns when prompts run into their completions, with where one meets and the setting that fixes it', () => {
    expect(datasetWarnings(stats({ valExamples: 20, glued: 3, gluedExample: '…4 plus 4?8' }), 64)).toEqual([
      '3 of 100 examples run prompt and completion together with nothing between them ("…4 plus 4?8"): the model learns them as one word; choose the separator space or newline',
    ]);
  });
});
