import { describe, expect, it } from 'vitest';
import { estimateText, evaluationPassesAfter, finalEvaluationPasses, formatSeconds, scoringPasses, secondsAhead, type EvaluationShape } from '../../src/train/run-time';

const shape: EvaluationShape = { valRows: 268, testRows: 268, batchSize: 8, labelRowsPerExample: 0, prompts: 3 };
const config = { steps: 400, evalEvery: 100, evalBatches: 0, maxNewTokens: 16 };

describe('evaluation counted in forward passes and decode steps', () => {
  it('scores every batch once when the loss pass decides, and adds the label rows when they are scored apart', () => {
    expect(scoringPasses(268, shape, 0)).toBe(34);
    expect(scoringPasses(268, shape, 4)).toBe(4);
    // Three labels sharing a first token: 268 × 3 label rows, in batches of 8.
    expect(scoringPasses(268, { ...shape, labelRowsPerExample: 3 }, 0)).toBe(34 + 101);
    expect(scoringPasses(5, shape, 4)).toBe(1);
  });

  it('counts the validations between steps, the final one, the test split and the generations', () => {
    // Generation: 16 decode steps for each of the 3 prompts.
    expect(finalEvaluationPasses(config, shape)).toEqual({ validation: 34, test: 34, generation: 48 });
    // Before training: validations at steps 100, 200 and 300, then the final evaluation.
    expect(evaluationPassesAfter(0, config, shape)).toEqual({ scoring: 3 * 34 + 34 + 34, generation: 48 });
    expect(evaluationPassesAfter(100, config, shape)).toEqual({ scoring: 2 * 34 + 68, generation: 48 });
    expect(evaluationPassesAfter(399, config, shape)).toEqual({ scoring: 68, generation: 48 });
    // Every 0: only at the end; no validation rows: no validation at all.
    expect(evaluationPassesAfter(0, { ...config, evalEvery: 0 }, shape)).toEqual({ scoring: 68, generation: 48 });
    expect(evaluationPassesAfter(0, config, { ...shape, valRows: 0, testRows: 0 })).toEqual({ scoring: 0, generation: 48 });
    // A multiple of evalEvery that is the last step is the final evaluation, not an extra one.
    expect(evaluationPassesAfter(0, { ...config, steps: 300 }, shape)).toEqual({ scoring: 2 * 34 + 68, generation: 48 });
  });

  it('estimates the seconds ahead from a timed step, a timed forward pass and a timed decode step', () => {
    expect(secondsAhead(5, config, shape, { stepSeconds: 1.5, forwardSeconds: 0.5, decodeSeconds: 0.25 })).toEqual({ train: 395 * 1.5, evaluate: (3 * 34 + 68) * 0.5 + 48 * 0.25 });
    expect(estimateText({ elapsed: 40, train: 600, evaluate: 83 })).toBe('about 12 min 3 s in all (so far 40 s; ahead: training 10 min 0 s, evaluation 1 min 23 s)');
    expect(formatSeconds(Infinity)).toBe('–');
  });
});
