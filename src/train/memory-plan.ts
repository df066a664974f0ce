// Fitting a run to the GPU before anything is allocated (the estimate: ./memory-estimate.ts, a dry
// run of the job's allocation; GoRA counted before its allocation, at r_max on every layer). The
// effective batch (rows per optimizer step) is the user's choice and stays as asked; how it is cut
// into micro-batches is ours: the largest micro-batch whose buffers fit the device's limits and the
// memory budget, the rest made up by gradient accumulation. Fewer rows per micro-batch would change
// the scan too, so its batch count grows by the same factor and it still reads the same rows.

import { formatBytes } from '../engine/memory';
import { weightPlan } from '../engine/weight-plan';
import { specEntries } from '../model/weights';
import { estimateMemory, type MemoryEstimate } from './memory-estimate';
import type { ModelSpec } from '../model/spec';
import { resolveWeightFormat, type JobConfig } from './config';

export interface DeviceBudget {
  /** The largest storage binding a kernel may read (maxStorageBufferBindingSize), bytes. */
  bindingLimit: number;
  /** The largest buffer (maxBufferSize), bytes. */
  bufferLimit: number;
  /** GPU memory the run may use, bytes; null when unknown (WebGPU does not say), so only the limits apply. */
  memory: number | null;
}

export interface RunPlan {
  /** The config to run: batchSize (micro-batch), gradAccum and scanBatches as planned. */
  config: JobConfig;
  estimate: MemoryEstimate;
  /** Why the micro-batch differs from the one asked for; null when it does not. */
  reason: string | null;
}

/** The budget from a device's limits (GPUSupportedLimits, or the plain copy in GpuInfo). */
export function deviceBudget(limits: { maxStorageBufferBindingSize?: number; maxBufferSize?: number }, memory: number | null = null): DeviceBudget {
  return { bindingLimit: limits.maxStorageBufferBindingSize ?? Infinity, bufferLimit: limits.maxBufferSize ?? Infinity, memory };
}

/** Thrown when not even one row per micro-batch fits; the message says what to change. */
export class RunDoesNotFit extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'RunDoesNotFit';
  }
}

/**
 * The largest activation of a micro-batch that one binding must hold: the MLP's hidden state or the
 * attention's. The logits are not among them: past the binding limit the head and the loss run in
 * passes of token rows (src/engine/lm-head.ts), so they need only fit one buffer.
 */
export function largestBindingBytes(spec: ModelSpec, B: number, T: number): number {
  return 4 * B * T * Math.max(spec.intermediateSize, spec.heads * spec.headDim, spec.hiddenSize);
}

export function logitBytes(spec: ModelSpec, B: number, T: number): number {
  return 4 * B * T * spec.vocabSize;
}

/**
 * weightFormat: how the frozen linear weights will be stored. Checkpoints are counted as saved
 * (a pause saves one whatever checkpointEvery says).
 */
/** checkpointDtype: the dtype of the model's linear weights, which config.weights null stands for. */
export function planRun(spec: ModelSpec, config: JobConfig, device: DeviceBudget, checkpointDtype = 'F32'): RunPlan {
  const weightFormat = resolveWeightFormat(config, checkpointDtype);
  const rows = config.batchSize * config.gradAccum;
  const T = config.seqLen;
  const bindingLimit = Math.min(device.bindingLimit, device.bufferLimit);
  const settings = { method: config.method, rank: config.rank, rankMax: config.rankMax, weightFormat, checkpoints: true };
  try {
    weightPlan(specEntries(spec), weightFormat, bindingLimit);
  } catch (error) {
    // A weight the GPU cannot bind: no micro-batch changes that.
    throw error instanceof RangeError ? new RunDoesNotFit(`this run cannot fit on this GPU: ${error.message}`) : error;
  }
  // Each dry run once: the search below asks for the same (micro-batch, passes) more than once.
  const estimates = new Map<string, MemoryEstimate>();
  const estimateFor = (b: number, scanPasses = 1): MemoryEstimate => {
    const key = `${b} ${scanPasses}`;
    const estimate = estimates.get(key) ?? estimateMemory(spec, b, T, { ...settings, scanPasses }, bindingLimit);
    estimates.set(key, estimate);
    return estimate;
  };
  // The fewest scan passes over layer groups (at least those asked for) that fit the budget.
  // More passes never hold more at once (each group is at most as large), so the search halves.
  const passesFor = (b: number): number => {
    const memory = device.memory;
    const fits = (p: number) => memory === null || estimateFor(b, p).peak <= memory;
    if (fits(config.scanPasses) || !fits(spec.layers)) return config.scanPasses;
    let [lo, hi] = [config.scanPasses, spec.layers]; // lo does not fit, hi does
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  };
  const problem = (b: number): string | null => {
    const logits = logitBytes(spec, b, T);
    if (logits > device.bufferLimit) return `its logits (${b} × ${T} tokens × ${spec.vocabSize} values, ${formatBytes(logits)}) are above this GPU's ${formatBytes(device.bufferLimit)} buffer limit`;
    const largest = largestBindingBytes(spec, b, T);
    if (largest > device.bindingLimit) return `an activation of ${formatBytes(largest)} is above this GPU's ${formatBytes(device.bindingLimit)} binding limit`;
    const peak = estimateFor(b, passesFor(b)).peak;
    if (device.memory !== null && peak > device.memory) return `it needs about ${formatBytes(peak)}, above the ${formatBytes(device.memory)} of GPU memory allowed`;
    return null;
  };
  // The micro-batch b, with the scan in as many passes as it needs.
  const planFor = (b: number, reason: string | null): RunPlan => {
    const factor = config.batchSize / b;
    const scanPasses = passesFor(b);
    const planned = b === config.batchSize && scanPasses === config.scanPasses ? config : { ...config, batchSize: b, gradAccum: (config.batchSize * config.gradAccum) / b, scanBatches: Math.ceil(config.scanBatches * factor), scanPasses };
    return { config: planned, estimate: estimateFor(b, scanPasses), reason };
  };
  const asked = problem(config.batchSize);
  if (!asked) return planFor(config.batchSize, null);
  // Divisors of the effective batch, so every optimizer step still sees exactly `rows` rows.
  for (let b = config.batchSize - 1; b >= 1; b--) {
    if (rows % b !== 0 || problem(b)) continue;
    return planFor(b, `a micro-batch of ${config.batchSize} rows does not fit (${asked})`);
  }
  const one = problem(1)!;
  const estimate = estimateFor(1);
  throw new RunDoesNotFit(
    `this run cannot fit on this GPU even one row at a time: ${one} (${parts(estimate)}). Lower the sequence length (${T})${config.method === 'full' ? ' or train adapters instead of every weight' : ' or the rank'}, or use a smaller model.`,
  );
}

/** One line for logs: the estimate, and how the batch is cut. */
export function describePlan(plan: RunPlan): string {
  const { estimate: e, config: c } = plan;
  const batch = `micro-batch ${c.batchSize} × ${c.gradAccum} accumulated${c.scanPasses > 1 ? `; the scan in ${c.scanPasses} passes over groups of layers` : ''}`;
  // GoRA's ranks are not known before its scan: the plan holds room for r_max on every layer.
  const ranks = c.method === 'gora' ? `; GoRA's adapters counted at r_max = ${c.rankMax} on every layer` : '';
  return `GPU memory: about ${formatBytes(e.peak)} at peak (${parts(e)}); ${batch}${ranks}${plan.reason ? `, because ${plan.reason}` : ''}`;
}

function parts(e: MemoryEstimate): string {
  const scan = e.scanGradients ? [`scan ${formatBytes(e.scanGradients)}`] : [];
  return [`weights ${formatBytes(e.weights)}`, `activations ${formatBytes(e.activations)}`, ...scan, `training ${formatBytes(e.training)}`].join(', ');
}
