// Cutting the effective batch into micro-batches that fit the GPU's limits and memory budget.

import { describe, expect, it } from 'vitest';
import { estimateMemory } from '../../src/train/memory-estimate';
import { defaultConfig } from '../../src/train/config';
import { describePlan, largestBindingBytes, logitBytes, planRun, RunDoesNotFit } from '../../src/train/memory-plan';
import { loadFixture } from '../engine/fixtures';

const { model } = await loadFixture('qwen2');
const spec = model.spec;
const config = { ...defaultConfig('lora'), batchSize: 4, gradAccum: 1, seqLen: 32, scanBatches: 3 };
const unlimited = { bindingLimit: Infinity, bufferLimit: Infinity, memory: null };
/** The dry run planRun makes for a micro-batch of b rows (checkpoints counted as saved). */
const dryRun = (c: typeof config, b: number, scanPasses = 1) => estimateMemory(spec, b, 32, { method: c.method, rank: c.rank, rankMax: c.rankMax, scanPasses, weightFormat: 'f32', checkpoints: true });

describe('planRun', () => {
  it('keeps the micro-batch asked for when it fits', () => {
    const plan = planRun(spec, config, unlimited);
    expect(plan.config).toBe(config);
    expect(plan.reason).toBeNull();
    expect(plan.estimate).toEqual(dryRun(config, 4));
  });

  it('halves the micro-batch and doubles accumulation (and the scan batches) when the logits pass the buffer limit', () => {
    const plan = planRun(spec, config, { ...unlimited, bufferLimit: logitBytes(spec, 3, 32) });
    expect([plan.config.batchSize, plan.config.gradAccum, plan.config.scanBatches]).toEqual([2, 2, 6]);
    expect(plan.reason).toMatch(/a micro-batch of 4 rows does not fit \(its logits \(4 × 32 tokens × \d+ values, .*\) are above this GPU's .* buffer limit\)/);
    expect(describePlan(plan)).toMatch(/^GPU memory: about .* at peak \(weights .*\); micro-batch 2 × 2 accumulated, because a micro-batch of 4 rows/);
  });

  it('only takes micro-batches that divide the effective batch, so each step sees the same rows', () => {
    const six = { ...config, batchSize: 6 };
    const plan = planRun(spec, six, { ...unlimited, bindingLimit: largestBindingBytes(spec, 5, 32) });
    expect([plan.config.batchSize, plan.config.gradAccum]).toEqual([3, 2]);
    expect(plan.reason).toMatch(/an activation of .* is above this GPU's .* binding limit/);
  });

  it("leaves logits above the binding limit to the head's passes over token rows", () => {
    const plan = planRun(spec, config, { ...unlimited, bindingLimit: Math.max(logitBytes(spec, 1, 32), largestBindingBytes(spec, 4, 32)) });
    expect(plan.reason).toBeNull();
    expect(plan.estimate.activations).toBeGreaterThan(planRun(spec, config, unlimited).estimate.activations);
  });

  it('fits a memory budget', () => {
    const budget = dryRun(config, 1).peak + 1;
    const plan = planRun(spec, config, { ...unlimited, memory: budget });
    expect([plan.config.batchSize, plan.config.gradAccum]).toEqual([1, 4]);
    expect(plan.estimate.peak).toBeLessThanOrEqual(budget);
    expect(plan.reason).toMatch(/it needs about .* above the .* of GPU memory allowed/);
  });

  it("runs GoRA's scan in passes over groups of layers before it cuts the batch", () => {
    const gora = { ...defaultConfig('gora'), batchSize: 4, seqLen: 32, rank: 1, rankMin: 1, rankMax: 1 };
    const full = dryRun(gora, 4);
    const halves = dryRun(gora, 4, 2);
    expect(halves.scanGradients).toBeLessThan(full.scanGradients);
    expect(full.scanGradients).toBeGreaterThan(full.training);
    const plan = planRun(spec, gora, { ...unlimited, memory: halves.peak });
    expect([plan.config.batchSize, plan.config.gradAccum, plan.config.scanPasses, plan.config.scanBatches]).toEqual([4, 1, 2, gora.scanBatches]);
    expect(plan.estimate).toEqual(halves);
    expect(describePlan(plan)).toMatch(/micro-batch 4 × 1 accumulated; the scan in 2 passes over groups of layers; GoRA's adapters counted at r_max = 1 on every layer$/);
  });

  it("holds room for GoRA's adapters at r_max on every layer, as its allocation may give them", () => {
    const gora = { ...defaultConfig('gora'), batchSize: 4, seqLen: 32 };
    const plan = planRun(spec, gora, unlimited);
    const lora = planRun(spec, { ...config, rank: gora.rankMax }, unlimited);
    expect(plan.estimate.training).toBe(lora.estimate.training);
    expect(gora.rankMax).toBeGreaterThan(gora.rank);
    expect(plan.estimate.training).toBeGreaterThan(planRun(spec, { ...config, rank: gora.rank }, unlimited).estimate.training);
  });

  it('refuses a weight above the binding limit before anything is allocated, whatever the micro-batch', () => {
    const attempt = () => planRun(spec, config, { ...unlimited, bindingLimit: 10_000 });
    expect(attempt).toThrow(RunDoesNotFit);
    expect(attempt).toThrow(/^this run cannot fit on this GPU: model\.layers\.0\.mlp\.gate_proj\.weight needs 12288 bytes in f32, above this GPU's largest storage binding \(10000 bytes\)$/);
    expect(() => planRun(spec, { ...config, weights: 'q4' }, { ...unlimited, bindingLimit: 10_000 })).not.toThrow(/gate_proj/);
  });

  it('refuses, with the numbers and what to change, when one row does not fit', () => {
    const attempt = () => planRun(spec, config, { ...unlimited, memory: 1000 });
    expect(attempt).toThrow(RunDoesNotFit);
    expect(attempt).toThrow(/^this run cannot fit on this GPU even one row at a time: it needs about .* above the 1000 B of GPU memory allowed \(weights .*\)\. Lower the sequence length \(32\) or the rank, or use a smaller model\.$/);
  });
});
