import { describe, expect, it } from 'vitest';
import { drawWhitespace, formatLearningRate, scoredRowsNote, splitAtSeparator, visibleText } from '../src/app/components/format';

describe('visibleText', () => {
  it('draws the whitespace of a generation that is only whitespace, and says when there is nothing', () => {
    expect(visibleText(' ')).toBe('␣');
    expect(visibleText(' \n\t')).toBe('␣↵⇥');
    expect(visibleText('')).toBe('(nothing)');
    expect(visibleText(' positive')).toBe(' positive');
  });
});

describe('scoredRowsNote', () => {
  it('says which rows an accuracy counts and what bounds them', () => {
    expect(scoredRowsNote(268, 'validation', { evalBatches: 0, batchSize: 8 })).toBe('on 268 examples: every validation row whose completion is one of the labels');
    expect(scoredRowsNote(16, 'test', { evalBatches: 2, batchSize: 8 })).toBe('on 16 examples: at most the first 2 × 8 test rows (the Validation batches setting) whose completion is one of the labels');
  });
});

describe('formatLearningRate', () => {
  it("says the schedule's end instead of 0.00e+0", () => {
    expect(formatLearningRate(1.5e-4, 2e-4)).toBe('1.50e-4');
    expect(formatLearningRate(0, 2e-4)).toBe("0 (the schedule's end; peak 2.0e-4)");
  });
});

describe('splitAtSeparator', () => {
  it('sets apart the whitespace where prompt and completion meet, for the preview to draw', () => {
    expect(splitAtSeparator('Review: fine\nSentiment:', ' positive<|endoftext|>')).toEqual({ prompt: 'Review: fine\nSentiment:', promptSpace: '', completionSpace: ' ', completion: 'positive<|endoftext|>' });
    expect(splitAtSeparator('What is 4 plus 4?\n', '8')).toEqual({ prompt: 'What is 4 plus 4?', promptSpace: '\n', completionSpace: '', completion: '8' });
    expect(splitAtSeparator('What is 4 plus 4?', '8')).toEqual({ prompt: 'What is 4 plus 4?', promptSpace: '', completionSpace: '', completion: '8' });
    expect(drawWhitespace(' ')).toBe('␣');
    expect(drawWhitespace('\r\n\t')).toBe('↵⇥');
  });
});
