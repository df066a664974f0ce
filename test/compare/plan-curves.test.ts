import { describe, expect, it } from 'vitest';
import { comparisonPlan } from '../../src/compare/plan';
import { meanCurves } from '../../src/compare/curves';
import { recordFromJob, trainableParameters } from '../../src/compare/record';
import { recordFromRun } from '../../src/app/state/comparison-record';
import { foldEvent, newRun } from '../../src/app/state/fold';
import { defaultConfig } from '../../src/train/config';

describe('comparisonPlan', () => {
  const base = { ...defaultConfig('gora'), steps: 7, rank: 6, lr: 0.123, generateSamples: 3, checkpointEvery: 25 };

  it('runs every method at each seed on the shared settings, each with its own learning rate', () => {
    const plan = comparisonPlan(base, ['lora', 'gora'], [2, 3], null);
    expect(plan.map((p) => `${p.method}:${p.seed}`)).toEqual(['lora:2', 'gora:2', 'lora:3', 'gora:3']);
    for (const p of plan) {
      expect(p.config.method).toBe(p.method);
      expect(p.config.seed).toBe(p.seed);
      expect(p.config.steps).toBe(7);
      expect(p.config.rank).toBe(6);
      expect(p.config.lr).toBe(defaultConfig(p.method).lr);
      expect(p.config.loraPlusRatio).toBe(defaultConfig(p.method).loraPlusRatio);
      expect(p.config.generateSamples).toBe(0);
      expect(p.config.checkpointEvery).toBe(0);
    }
  });

  it('uses one learning rate for all when asked', () => {
    expect(comparisonPlan(base, ['lora', 'full'], [0], 0.01).map((p) => p.config.lr)).toEqual([0.01, 0.01]);
  });
});

describe('meanCurves', () => {
  it('averages each method’s runs step by step, train and validation apart', () => {
    const rows = meanCurves([
      { method: 'gora', trainLoss: [{ step: 1, loss: 2 }, { step: 2, loss: 1 }], validation: [{ step: 2, loss: 1.5, accuracy: null }] },
      { method: 'gora', trainLoss: [{ step: 1, loss: 4 }], validation: [] },
      { method: 'lora', trainLoss: [{ step: 1, loss: 3 }, { step: 2, loss: NaN }], validation: [{ step: 2, loss: 2.5, accuracy: 0.5 }] },
    ]);
    expect(rows).toEqual([
      { step: 1, 'gora train': 3, 'lora train': 3 },
      { step: 2, 'gora train': 1, 'gora validation': 1.5, 'lora validation': 2.5 },
    ]);
  });
});

describe('run records', () => {
  const adapter = (rank: number, m: number, n: number) => ({ rank, scale: 1, A: new Float32Array(rank * n), B: new Float32Array(m * rank) });

  it('count adapters’ A and B, or every weight in full training', () => {
    expect(trainableParameters({ weights: null, trained: new Map([['a', adapter(2, 5, 3)], ['b', adapter(4, 2, 2)]]) })).toBe(2 * 3 + 5 * 2 + 4 * 2 + 2 * 4);
    expect(trainableParameters({ weights: new Map([['w', new Float32Array(7)], ['v', new Float32Array(5)]]), trained: new Map() })).toBe(12);
  });

  it('from a job result: final numbers, times, ranks and curves counted from step 1', () => {
    const config = { ...defaultConfig('gora'), seed: 4, lr: 3e-4 };
    const allocation = { layers: [{ name: 'model.layers.0.self_attn.q_proj', m: 4, n: 4, importance: 1, advantage: 1, rank: 5 }], settings: { rankRef: 4, rankMin: 1, rankMax: 8, features: 'id' as const }, budget: 32, targetParameters: 32, trainableParameters: 40 };
    const record = recordFromJob(
      {
        config,
        weights: null,
        trained: new Map([['q', adapter(5, 4, 4)]]),
        allocation,
        steps: [{ step: 0, loss: 2, lr: 1e-4 }, { step: 1, loss: 1, lr: 3e-4 }],
        evaluations: [{ step: 2, loss: 1.25, tokens: 9, accuracy: 0.75, examples: 4 }],
        final: { step: 2, loss: 1.25, tokens: 9, accuracy: 0.75, examples: 4 },
        test: { step: 2, loss: 1.5, tokens: 8, accuracy: 0.5, examples: 4 },
        seconds: { load: 0.5, scan: 1, train: 2.5, evaluate: 1 },
      },
      12345,
    );
    expect(record).toEqual({
      method: 'gora',
      seed: 4,
      lr: 3e-4,
      valLoss: 1.25,
      accuracy: 0.75,
      testLoss: 1.5,
      testAccuracy: 0.5,
      trainableParameters: 40,
      trainSeconds: 2.5,
      totalSeconds: 5,
      peakBytes: 12345,
      ranks: [{ name: 'model.layers.0.self_attn.q_proj', rank: 5 }],
      trainLoss: [{ step: 1, loss: 2 }, { step: 2, loss: 1 }],
      validation: [{ step: 2, loss: 1.25, accuracy: 0.75 }],
    });
  });

  it('from the app’s folded run, only once it is done', () => {
    let run = newRun('r1', 'lora', { ...defaultConfig('lora'), seed: 2 });
    run = foldEvent(run, { type: 'phase', phase: 'train', status: 'start' });
    run = foldEvent(run, { type: 'step', step: 1, of: 1, loss: 0.9, lr: 2e-4, tokensPerSecond: 1, elapsed: 1, remaining: 0 });
    run = foldEvent(run, { type: 'phase', phase: 'train', status: 'end', seconds: 3 });
    run = foldEvent(run, { type: 'evaluation', evaluation: { step: 1, loss: 0.8, tokens: 5, accuracy: null, examples: 3 } });
    run = foldEvent(run, { type: 'test', evaluation: { step: 1, loss: 0.85, tokens: 6, accuracy: null, examples: 3 } });
    expect(recordFromRun(run)).toBeNull();
    const done = { ...run, status: 'done' as const, memory: { bytes: 1, peak: 2048 }, files: { 'gora_report.json': new TextEncoder().encode('{"budget":{"trainable_parameters":640}}') } };
    expect(recordFromRun(done)).toEqual({
      method: 'lora',
      seed: 2,
      lr: 1e-3,
      valLoss: 0.8,
      accuracy: null,
      testLoss: 0.85,
      testAccuracy: null,
      trainableParameters: 640,
      trainSeconds: 3,
      totalSeconds: 3,
      peakBytes: 2048,
      ranks: null,
      trainLoss: [{ step: 1, loss: 0.9 }],
      validation: [{ step: 1, loss: 0.8, accuracy: null }],
    });
  });

  it('skip the phases a method does not have: LoRA-GA scans without allocating', () => {
    const run = newRun('r2', 'lora-ga', defaultConfig('lora-ga'));
    expect(run.phases.scan.status).toBe('pending');
    expect(run.phases.allocate.status).toBe('skipped');
    expect(newRun('r3', 'lora', defaultConfig('lora')).phases.scan.status).toBe('skipped');
  });
});
