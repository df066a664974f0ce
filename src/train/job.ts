// The job: one function from a config to a trained adapter (or, with method 'full', a fully trained
// model), emitting typed events as it goes. The
// CLI, the Web Worker and the tests all run it; nothing here knows who is listening.

import type { Gpu } from '../gpu/gpu';
import type { Batch } from '../data/batch';
import type { PreparedDataset } from '../data/prepare';
import { promptLength } from '../data/tokenize';
import { uploadWeights } from '../engine/load';
import { AdapterOptimizer, type ParameterGroup } from '../engine/optimizer';
import { Transformer } from '../engine/transformer';
import type { Allocation, AllocationSettings } from '../gora/allocate';
import type { ScanResult } from '../gora/scan';
import type { OpenedModel } from '../model/load';
import { checkConfig, type JobConfig } from './config';
import type { Evaluation, Generation, JobEvent, Phase } from './events';
import { labelAccuracy, meanTokenLoss } from './evaluate';
import { generateGreedy } from './generate';
import { learningRate } from './schedule';
import { loraInit, scanAndAllocate, type InitialAdapter } from './adapters';
import { fullParameterGroups, readModelWeights } from './full';

export interface JobInputs {
  gpu: Gpu;
  model: OpenedModel;
  data: PreparedDataset;
  config: JobConfig;
  emit?: (event: JobEvent) => void;
  /** Keep each target's mean scan gradient G in the result (GoRA; for --save-scan). */
  keepScanGradients?: boolean;
  /** Called between steps: waits while the user pauses, throws JobStopped when they stop. */
  control?: JobControl;
  /** GoRA: show the allocation and wait for the settings to train with (re-allocated, no new scan). */
  reviewAllocation?: (allocation: Allocation) => Promise<AllocationSettings>;
}

export interface JobControl {
  checkpoint(): Promise<void>;
}

/** Thrown through the job when the user stops it; nothing is exported. */
export class JobStopped extends Error {
  constructor() {
    super('the run was stopped');
    this.name = 'JobStopped';
  }
}

export interface StepRecord {
  step: number;
  loss: number;
  lr: number;
}

export interface JobResult {
  config: JobConfig;
  scan: ScanResult | null;
  allocation: Allocation | null;
  /** Adapters as initialised and as trained, by target name (empty in full training). */
  initial: Map<string, InitialAdapter>;
  trained: Map<string, InitialAdapter>;
  /** Full training: every weight as trained, by canonical name, engine layout; null for adapter methods. */
  weights: Map<string, Float32Array> | null;
  scanGradients: Map<string, Float32Array> | null;
  /** Mean loss on the scan batches of the base model and of the model with the initial adapters (GoRA). */
  initCheck: { baseLoss: number; initLoss: number } | null;
  steps: StepRecord[];
  evaluations: Evaluation[];
  final: Evaluation;
  generations: Generation[];
  seconds: Partial<Record<Phase, number>>;
  /** Every batch used, in order, for the data manifest. */
  batches: { scan: Batch[]; train: Batch[]; val: Batch[] };
}

export async function runJob(inputs: JobInputs): Promise<JobResult> {
  const { gpu, model: opened, data } = inputs;
  let config = inputs.config;
  checkConfig(config);
  const emit = inputs.emit ?? (() => {});
  const seconds: Partial<Record<Phase, number>> = {};
  const timed = async <T>(phase: Phase, work: () => Promise<T>): Promise<T> => {
    emit({ type: 'phase', phase, status: 'start' });
    const start = performance.now();
    const result = await work();
    seconds[phase] = (performance.now() - start) / 1000;
    emit({ type: 'phase', phase, status: 'end', seconds: seconds[phase] });
    return result;
  };
  const { spec, targets } = opened;
  const { batchSize: B, seqLen: T } = data;
  const weights = await timed('load', () =>
    uploadWeights(gpu, opened, (p) => emit({ type: 'progress', phase: 'load', done: p.bytes, total: p.totalBytes, detail: p.name })),
  );
  const model = new Transformer(gpu, spec, weights, { B, T });
  try {
    const prompts = data.val.slice(0, config.generateSamples).map((row) => row.ids.subarray(0, Math.max(1, promptLength(row))));
    const generateOptions = { maxNewTokens: config.maxNewTokens, stopToken: data.plan.eos, padToken: data.plan.pad };
    const baseGenerations = prompts.length ? await generateGreedy(model, prompts, generateOptions) : [];

    // Scan, allocate, initialise (GoRA) or the uniform LoRA start.
    const scanBatches = Array.from({ length: config.scanBatches }, (_, i) => data.batchAt(data.schedule.positionAt(i)));
    let scan: ScanResult | null = null;
    let allocation: Allocation | null = null;
    let scanGradients: Map<string, Float32Array> | null = null;
    let initial: Map<string, InitialAdapter>;
    if (config.method === 'gora') {
      const init = await timed('scan', () =>
        scanAndAllocate(model, targets, scanBatches, config, {
          keepGradients: inputs.keepScanGradients ?? false,
          onBatch: (done, loss) => emit({ type: 'scan-batch', batch: done, of: scanBatches.length, loss }),
          onAllocation: (a) => emit({ type: 'allocation', allocation: a }),
          review: inputs.reviewAllocation,
        }),
      );
      ({ scan, allocation, gradients: scanGradients, adapters: initial } = init);
      // The settings actually trained with (they may have been changed in review).
      const { rankRef, rankMin, rankMax, features } = init.allocation.settings;
      config = { ...config, rank: rankRef, rankMin, rankMax, features };
    } else initial = config.method === 'lora' ? loraInit(targets, config) : new Map();

    await inputs.control?.checkpoint();
    const initCheck = await timed('initialise', async () => {
      for (const [name, a] of initial) model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
      if (!scan) return null;
      const initLoss = await meanLoss(model, scanBatches);
      const baseLoss = scan.losses.reduce((x, y) => x + y, 0) / scan.losses.length;
      emit({ type: 'init', baseLoss, initLoss });
      return { baseLoss, initLoss };
    });

    const evaluate = async (step: number): Promise<Evaluation> => {
      const val = await meanTokenLoss(model, data.val, data.plan.pad, config.evalBatches);
      const acc = await labelAccuracy(model, data.val, data.labels, data.plan.pad);
      const evaluation = { step, loss: val.loss, tokens: val.tokens, accuracy: acc?.accuracy ?? null, examples: acc?.examples ?? data.val.length };
      emit({ type: 'evaluation', evaluation });
      return evaluation;
    };

    const evaluations: Evaluation[] = [];
    const trainBatches: Batch[] = [];
    const steps = await timed('train', async () => {
      const groups: ParameterGroup[] =
        config.method === 'full'
          ? fullParameterGroups(model)
          : [...model.adapters].flatMap(([name, a]) => [
              { name: `${name}.lora_A`, param: a.A, grad: a.dA, size: a.A.size / 4, lrMultiplier: 1 },
              { name: `${name}.lora_B`, param: a.B, grad: a.dB, size: a.B.size / 4, lrMultiplier: config.loraPlusRatio },
            ]);
      const optimizer = new AdapterOptimizer(gpu, groups, { maxGradNorm: config.maxGradNorm, weightDecay: config.weightDecay });
      const records: StepRecord[] = [];
      const start = performance.now();
      try {
        for (let step = 0; step < config.steps; step++) {
          await inputs.control?.checkpoint();
          // The step's loss is the mean over every counted token of its micro-batches, so each
          // micro-batch's gradient is scaled by 1 / (the step's total count).
          const micro = Array.from({ length: config.gradAccum }, (_, k) => data.batchAt(data.schedule.positionAt(step * config.gradAccum + k)));
          trainBatches.push(...micro);
          const count = micro.reduce((sum, b) => sum + b.count, 0);
          const lr = learningRate(step, { baseLr: config.lr, totalSteps: config.steps, warmupFraction: config.warmupFraction, minRatio: config.minLrRatio });
          let lossSum = 0;
          for (const [k, batch] of micro.entries()) {
            model.setBatch(batch.tokens, batch.targets);
            await gpu.run(`train step ${step}.${k}`, (enc) => {
              if (k === 0) optimizer.zeroGrad(enc);
              model.forward(enc, 1 / count);
              model.backward(enc);
              if (k === micro.length - 1) optimizer.step(enc, step + 1, lr);
            });
            lossSum += (await gpu.readF32(model.losses)).reduce((a, b) => a + b, 0);
          }
          const loss = lossSum / count;
          if (!Number.isFinite(loss)) throw new Error(`the loss became ${loss} at step ${step}: lower --lr and try again`);
          records.push({ step, loss, lr });
          const elapsed = (performance.now() - start) / 1000;
          emit({ type: 'step', step: step + 1, of: config.steps, loss, lr, tokensPerSecond: ((step + 1) * config.gradAccum * B * T) / elapsed, elapsed, remaining: (elapsed / (step + 1)) * (config.steps - step - 1) });
          if (config.evalEvery > 0 && (step + 1) % config.evalEvery === 0 && step + 1 < config.steps && data.valBatchCount > 0) evaluations.push(await evaluate(step + 1));
        }
      } finally {
        optimizer.destroy();
      }
      return records;
    });

    const { final, generations } = await timed('evaluate', async () => {
      const final = data.valBatchCount > 0 ? await evaluate(config.steps) : { step: config.steps, loss: NaN, tokens: 0, accuracy: null, examples: 0 };
      const adapted = prompts.length ? await generateGreedy(model, prompts, generateOptions) : [];
      const decode = (ids: ArrayLike<number>) => opened.tokenizer?.decode(Array.from(ids), { skipSpecialTokens: true }) ?? Array.from(ids).join(' ');
      const generations = prompts.map((p, i) => ({ prompt: decode(p), base: decode(baseGenerations[i]), adapted: decode(adapted[i]) }));
      if (generations.length) emit({ type: 'generations', samples: generations });
      return { final, generations };
    });
    if (final.examples > 0 || data.valBatchCount > 0) evaluations.push(final);

    const trained = new Map<string, InitialAdapter>();
    for (const [name, a] of model.adapters) {
      trained.set(name, { rank: a.rank, scale: a.scale, A: await gpu.readF32(a.A), B: await gpu.readF32(a.B) });
    }
    const trainedWeights = config.method === 'full' ? await readModelWeights(model) : null;
    const valBatches = Array.from({ length: data.valBatchCount }, (_, i) => data.valBatchAt(i));
    return { config, scan, allocation, initial, trained, weights: trainedWeights, scanGradients, initCheck, steps, evaluations, final, generations, seconds, batches: { scan: config.method === 'gora' ? scanBatches : [], train: trainBatches, val: valBatches } };
  } finally {
    model.destroy();
    for (const buffer of weights.values()) buffer.destroy();
  }
}

/** Mean over batches of each batch's mean token loss (as the scan measures it). */
async function meanLoss(model: Transformer, batches: readonly Batch[]): Promise<number> {
  let sum = 0;
  for (const batch of batches) {
    model.setBatch(batch.tokens, batch.targets);
    await model.gpu.run('loss', (enc) => model.forward(enc, null));
    sum += (await model.gpu.readF32(model.losses)).reduce((a, b) => a + b, 0) / batch.count;
  }
  return sum / batches.length;
}
