// The memory estimate (a dry run of the job's allocation on a counting GPU) against the peak that
// real jobs measure on the GPU, on the fixtures: GoRA, LoRA and full training, the scan in one pass
// and in two. The bar: within 10 % of the measured peak.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDataset } from '../../src/data/prepare';
import { buildReport } from '../../src/export/report';
import { defaultConfig, type JobConfig } from '../../src/train/config';
import { runJob } from '../../src/train/job';
import type { JobEvent } from '../../src/train/events';
import { deviceBudget, planRun } from '../../src/train/memory-plan';
import { testGpu } from '../gpu';
import { loadFixture } from '../engine/fixtures';
import { checkpointDtype } from '../../src/model/load';

const DATA = readFileSync(join(import.meta.dirname, '..', 'datasets', 'sentiment.jsonl'), 'utf8');

const CASES: Array<[string, Partial<JobConfig>, { saveCheckpoints?: boolean; bindingLimit?: number }]> = [
  ['smollm2', { method: 'gora' }, {}],
  ['smollm2', { method: 'gora', scanPasses: 2 }, {}],
  ['gpt2', { method: 'gora', rankMax: 16 }, {}],
  ['qwen2', { method: 'lora' }, { saveCheckpoints: true }],
  ['llama32', { method: 'lora-ga', rank: 4 }, {}],
  ['llama32', { method: 'lora-ga', rank: 4, scanPasses: 2 }, {}],
  ['gpt2', { method: 'pissa', rank: 4 }, {}],
  ['qwen2', { method: 'full' }, { saveCheckpoints: true }],
  ['smollm2', { method: 'lora' }, { bindingLimit: 45_000 }],
  // Stored weight formats: the BF16 checkpoint in its own 16 bits, then quantised.
  ['smollm2-bf16', { method: 'gora' }, {}],
  ['smollm2-bf16', { method: 'gora', weights: 'q4', scanPasses: 2 }, {}],
  ['smollm2-bf16', { method: 'lora', weights: 'int8' }, {}],
  ['smollm2-bf16', { method: 'pissa', rank: 4, weights: 'bf16' }, {}],
];

describe('the memory estimate against the measured peak of real jobs', () => {
  for (const [fixture, overrides, options] of CASES) {
    const name = `${fixture} ${overrides.method}${overrides.weights ? ` on ${overrides.weights} weights` : ''}${overrides.scanPasses ? `, the scan in ${overrides.scanPasses} passes` : ''}${options.bindingLimit ? `, binding limit ${options.bindingLimit} B` : ''}`;
    it(name, async () => {
      const gpu = await testGpu();
      const { model } = await loadFixture(fixture);
      const config = { ...defaultConfig(overrides.method!), steps: 2, batchSize: 2, seqLen: 32, scanBatches: 1, evalEvery: 0, generateSamples: 0, valFraction: 0.2, checkpointEvery: 1, ...overrides };
      const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, config);
      gpu.bindingLimit = options.bindingLimit ?? null;
      try {
        const saveCheckpoint = options.saveCheckpoints ? async () => {} : undefined;
        // The scan's own peak: the run's peak when the scan ends (nothing before it allocates more).
        const heldBefore = gpu.allocatedBytes;
        let scanPeak: number | null = null;
        const emit = (e: JobEvent) => {
          if (e.type === 'phase' && e.phase === 'scan' && e.status === 'end') scanPeak = gpu.peakBytes - heldBefore;
        };
        const result = await runJob({ gpu, model, data, config, saveCheckpoint, emit });
        const { peakBytes } = result.memory;
        const estimate = result.memory.estimate!;
        if (scanPeak !== null) {
          const scanEstimate = estimate.weights + estimate.activations + estimate.scanGradients;
          console.log(`${name}: the scan's estimate ${scanEstimate} B, measured ${scanPeak} B`);
          expect(Math.abs(scanEstimate / scanPeak - 1)).toBeLessThan(0.1);
        }
        console.log(`${name}: estimate ${estimate.peak} B (weights ${estimate.weights}, activations ${estimate.activations}, scan ${estimate.scanGradients}, training ${estimate.training}), measured peak ${peakBytes} B, ratio ${(estimate.peak / peakBytes).toFixed(4)}`);
        expect(Math.abs(estimate.peak / peakBytes - 1)).toBeLessThan(0.1);
        // The plan, made before the run (GoRA at r_max on every layer), holds at least what the run took.
        const planned = planRun(model.spec, config, deviceBudget(gpu.info.limits), checkpointDtype(model)).estimate;
        if (!options.bindingLimit) expect(planned.peak).toBeGreaterThanOrEqual(peakBytes);
        const report = buildReport(result, model, data, fixture) as { memory: { estimate: Record<string, number>; peak_bytes: number } };
        expect(report.memory).toEqual({
          estimate: { weights: estimate.weights, activations: estimate.activations, scan_gradients: estimate.scanGradients, training: estimate.training, total: estimate.peak },
          peak_bytes: peakBytes,
        });
      } finally {
        gpu.bindingLimit = null;
      }
    });
  }
});
