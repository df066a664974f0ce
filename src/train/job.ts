// The job: one function from a config to a trained adapter (or, with method 'full', a fully trained
// model), emitting typed events as it goes. The CLI, the Web Worker and the tests all run it; nothing
// here knows who is listening. It saves checkpoints through a sink it is given, continues from one
// (no scan, no initialisation: the same steps as a run that never stopped), and stops with a message
// naming the step and the last checkpoint when the GPU fails or the numbers stop being finite.

import type { Gpu } from '../gpu/gpu';
import type { Batch } from '../data/batch';
import type { PreparedDataset } from '../data/prepare';
import { promptLength } from '../data/tokenize';
import type { WeightFormat } from '../engine/weight-format';
import { AdapterOptimizer } from '../engine/optimizer';
import type { Transformer } from '../engine/transformer';
import type { Allocation, AllocationSettings } from '../gora/allocate';
import type { ScanResult } from '../gora/scan';
import type { AnyOpenedModel } from '../model/open';
import { checkConfig, modifiesBaseWeights, needsScan, weightFormatProblem, type JobConfig } from './config';
import type { Evaluation, Generation, JobEvent, Phase } from './events';
import { firstTokensDiffer, scoreRows } from './evaluate';
import { finalEvaluationPasses, scoringPasses, secondsAhead, type EvaluationShape } from './run-time';
import type { TrainableModel } from '../engine/trainable';
import { modelKind } from './model-kinds';
import { learningRate } from './schedule';
import { allocateFromScan, allocationSettings, type InitialAdapter } from './adapters';
import { adapterStage, scanStage, subtractInitialAdapters } from './initialise';
import { liveModel, type LiveModel } from './live-model';
import type { GammaSearch } from '../gora/gamma';
import { adapterParameterGroups, fullParameterGroups, readModelWeights, stepProbe } from './full';
import { splitLike } from '../engine/row-chunks';
import { checkpointFiles, checkpointInterval, dataIdentity, resumeProblem, type Checkpoint } from './checkpoint';
import { explainFailure, JobStopped, numericalFault, type RunPosition } from './faults';
import type { MemoryEstimate } from './memory-estimate';

export { JobStopped, NumericalFault } from './faults';

export interface JobInputs {
  gpu: Gpu;
  model: AnyOpenedModel;
  data: PreparedDataset;
  config: JobConfig;
  emit?: (event: JobEvent) => void;
  /** Keep each target's mean scan gradient G in the result (GoRA; for --save-scan). */
  keepScanGradients?: boolean;
  /** Called between steps: waits while the user pauses, throws JobStopped when they stop. */
  control?: JobControl;
  /** GoRA: show the allocation and wait for the settings to train with (re-allocated, no new scan). */
  reviewAllocation?: (allocation: Allocation) => Promise<AllocationSettings>;
  /**
   * Receives each checkpoint's files (checkpoint.ts) — every config.checkpointEvery steps and at the
   * end of training (unless that is 0), and when the run is paused or stopped — and may return where
   * they went (a folder, an OPFS path), which error messages quote. Without it no checkpoint is made.
   */
  saveCheckpoint?: (files: Map<string, Uint8Array>) => Promise<string | void>;
  /** Continue this checkpoint's run (readCheckpoint) instead of starting one; config must match its training settings. */
  resume?: Checkpoint;
  /** Stored verbatim in every checkpoint: how the client finds the model and data again. */
  origin?: Record<string, unknown>;
}

export interface JobControl {
  /** Called between steps: waits while the user pauses, throws JobStopped when they stop. */
  checkpoint(): Promise<void>;
  /** Called before each training step (before checkpoint) with the model as trained so far: the app's playground generates here during a run. */
  between?(live: LiveModel): Promise<void>;
  /** True when a pause or stop has been asked for (checkpoint() is about to wait or throw): the job saves first. */
  interrupted?(): boolean;
}

export interface StepRecord {
  step: number;
  loss: number;
  lr: number;
}

export interface JobResult {
  config: JobConfig;
  /** How the frozen linear weights were stored on the GPU. */
  weightsFormat: WeightFormat;
  scan: ScanResult | null;
  allocation: Allocation | null;
  /** Adapters as initialised and as trained, by target name (empty in full training). */
  initial: Map<string, InitialAdapter>;
  trained: Map<string, InitialAdapter>;
  /** Full training: every weight as trained, by canonical name, engine layout; null for adapter methods. */
  weights: Map<string, Float32Array> | null;
  scanGradients: Map<string, Float32Array> | null;
  /**
   * Mean loss on the scan batches of the base model and of the model with the initial adapters (the
   * methods with a scan: lower for GoRA, equal for LoRA-GA, whose W compensates).
   */
  initCheck: { baseLoss: number; initLoss: number } | null;
  /** GoRA with adaptive γ (docs/gora.md §6): the candidates' losses and the γ chosen. */
  gammaSearch: GammaSearch | null;
  steps: StepRecord[];
  evaluations: Evaluation[];
  final: Evaluation;
  /**
   * The same scores on the test split the data names (src/data/split.ts), after training; null when
   * it names none. Reported only: nothing in a run is chosen by them.
   */
  test: Evaluation | null;
  generations: Generation[];
  seconds: Partial<Record<Phase, number>>;
  /** Every batch used, in order, for the data manifest. */
  batches: { scan: Batch[]; train: Batch[]; val: Batch[] };
  /**
   * GPU memory: the dry run's estimate (memory-estimate.ts) of this run as it ran — GoRA at the
   * ranks it allocated; null for a model the dry run does not know — and the bytes the run's own
   * buffers measured at their peak.
   */
  memory: { estimate: MemoryEstimate | null; peakBytes: number };
}

export async function runJob(inputs: JobInputs): Promise<JobResult> {
  const { gpu, model: opened, data } = inputs;
  let config = inputs.config;
  checkConfig(config);
  const resume = inputs.resume ?? null;
  if (resume) {
    if (inputs.keepScanGradients) throw new RangeError('a resumed run has no scan gradients to keep: the scan is not repeated');
    const problem = resumeProblem(resume, config, data);
    if (problem) throw new RangeError(problem);
  }
  const emit = inputs.emit ?? (() => {});
  const jobStart = performance.now();
  // Seconds spent scoring and generating, wherever in the run (the base generations come first).
  let evaluationSeconds = 0;
  const evaluating = async <T>(work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      evaluationSeconds += (performance.now() - start) / 1000;
    }
  };
  // Where the run is, for the message of whatever ends it early.
  const position: RunPosition = { step: null, of: config.steps, phase: 'load', saved: resume ? { step: resume.step, where: null } : null, saving: Boolean(inputs.saveCheckpoint) };
  const seconds: Partial<Record<Phase, number>> = {};
  const timed = async <T>(phase: Phase, work: () => Promise<T>): Promise<T> => {
    position.phase = phase;
    emit({ type: 'phase', phase, status: 'start' });
    const start = performance.now();
    const result = await work();
    seconds[phase] = (performance.now() - start) / 1000;
    emit({ type: 'phase', phase, status: 'end', seconds: seconds[phase] });
    return result;
  };
  const { targets } = opened;
  const kind = modelKind(opened);
  const methodProblem = kind.methodProblem(config.method);
  if (methodProblem) throw new RangeError(methodProblem);
  const { batchSize: B, seqLen: T } = data;
  const shape = { B, S: T, T: data.targetLen };
  const weightsFormat = kind.weightFormat(config, opened);
  const formatProblem = weightFormatProblem(config.method, weightsFormat);
  if (formatProblem) throw new RangeError(formatProblem);
  if (modifiesBaseWeights(config.method) && weightsFormat !== 'f32') {
    emit({ type: 'log', message: `weights: W − s·B₀A₀ is stored in ${weightsFormat}, so the exported adapter (relative to the original W) reproduces the trained model up to that rounding` });
  }
  // The peak of this run's own buffers, whatever the device already holds.
  const heldBefore = gpu.allocatedBytes;
  gpu.peakBytes = heldBefore;
  const built = await timed('load', () =>
    kind.build(gpu, opened, shape, weightsFormat, (p) => emit({ type: 'progress', phase: 'load', done: p.bytes, total: p.totalBytes, detail: p.name })),
  ).catch((error: unknown) => {
    throw explainFailure(error, position);
  });
  const { model } = built;
  // Full training reads and writes every weight of the decoder-only engine (methodProblem refused it elsewhere).
  const fullModel = (): Transformer => {
    if (!built.transformer) throw new Error('full training needs the decoder-only engine');
    return built.transformer;
  };
  try {
    const prompts = data.val.slice(0, config.generateSamples).map((row) => row.ids.subarray(0, Math.max(1, promptLength(row))));
    const generateOptions = { maxNewTokens: config.maxNewTokens, stopToken: data.plan.eos, padToken: data.plan.pad };
    // Before a resumed full run overwrites the weights, so "base" is the base model either way.
    // Its decode steps are timed: the adapted model's generations at the end take as many.
    let decodeSteps = 0;
    const decodeStart = performance.now();
    const baseGenerations = prompts.length ? await evaluating(() => model.generate(prompts, { ...generateOptions, onPass: () => decodeSteps++ })) : [];
    const decodeSeconds = decodeSteps > 0 ? (performance.now() - decodeStart) / 1000 / decodeSteps : 0;
    const evaluationShape: EvaluationShape = {
      valRows: data.val.length,
      testRows: data.test.length,
      batchSize: B,
      labelRowsPerExample: data.labels && !firstTokensDiffer(data.labels) ? data.labels.tokens.length : 0,
      prompts: prompts.length,
    };

    // The scan (GoRA, LoRA-GA), GoRA's allocation and every method's initial adapters, each its own
    // phase (initialise.ts); a resumed run has all of it saved.
    const scanBatches = Array.from({ length: config.scanBatches }, (_, i) => data.batchAt(data.schedule.positionAt(i)));
    let scan: ScanResult | null = null;
    let allocation: Allocation | null = null;
    let scanGradients: Map<string, Float32Array> | null = null;
    let initial = new Map<string, InitialAdapter>();
    let gammaSearch: GammaSearch | null = null;
    if (resume) {
      ({ scan, allocation, initial } = resume);
      if (allocation) emit({ type: 'allocation', allocation });
      emit({ type: 'log', message: `resume: continuing from step ${resume.step} of ${config.steps}` });
    } else if (needsScan(config.method)) {
      scan = await timed('scan', () => scanStage(model, targets, scanBatches, config, (done, loss) => emit({ type: 'scan-batch', batch: done, of: scanBatches.length, loss })));
      if (config.method === 'gora') {
        const scanned = scan!;
        allocation = await timed('allocate', async () => allocateFromScan(targets, scanned, allocationSettings(config)));
        emit({ type: 'allocation', allocation });
        // The user's review is not part of the phase's time: it waits on a person, not the GPU.
        if (inputs.reviewAllocation) {
          allocation = allocateFromScan(targets, scanned, await inputs.reviewAllocation(allocation));
          emit({ type: 'allocation', allocation });
        }
        // The settings actually trained with (they may have been changed in review).
        const { rankRef, rankMin, rankMax, features } = allocation.settings;
        config = { ...config, rank: rankRef, rankMin, rankMax, features };
      }
    }

    await inputs.control?.checkpoint();
    const initCheck = await timed('initialise', async () => {
      if (resume) {
        await restore(model, resume, fullModel);
        if (resume.initCheck) emit({ type: 'init', ...resume.initCheck });
        return resume.initCheck;
      }
      const options = { keepGradients: inputs.keepScanGradients ?? false, firstTrainBatch: data.batchAt(data.schedule.positionAt(0)), log: (message: string) => emit({ type: 'log', message }) };
      ({ adapters: initial, gradients: scanGradients, gammaSearch } = await adapterStage(model, targets, config, scan, allocation, options));
      for (const [name, a] of initial) model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
      if (!scan) return null;
      const initLoss = await meanLoss(model, scanBatches);
      const baseLoss = scan.losses.reduce((x, y) => x + y, 0) / scan.losses.length;
      emit({ type: 'init', baseLoss, initLoss });
      return { baseLoss, initLoss };
    });

    const evaluate = async (step: number, onPass?: () => void): Promise<Evaluation> => {
      // Loss and accuracy on the same rows: the evaluation-batches setting bounds both.
      const { loss, tokens, accuracy, examples } = await evaluating(() => scoreRows(model, data.val, data.labels, data.layout, config.evalBatches, onPass));
      const evaluation = { step, loss, tokens, accuracy, examples };
      emit({ type: 'evaluation', evaluation });
      return evaluation;
    };

    const startStep = resume?.step ?? 0;
    const evaluations: Evaluation[] = resume ? [...resume.evaluations] : [];
    // The batches before a resumed step, recomputed (they are a pure function of seed and step) for the manifest.
    const trainBatches: Batch[] = Array.from({ length: startStep * config.gradAccum }, (_, i) => data.batchAt(data.schedule.positionAt(i)));
    const steps = await timed('train', async () => {
      const groups = config.method === 'full' ? fullParameterGroups(fullModel()) : adapterParameterGroups(model.adapters, config.loraPlusRatio);
      const optimizer = new AdapterOptimizer(gpu, groups, { maxGradNorm: config.maxGradNorm, weightDecay: config.weightDecay });
      // The last micro-batch's losses and the skipped-step count in one readback, so that checking
      // the gradients costs no extra one.
      const probe = stepProbe(gpu, model.N);
      const records: StepRecord[] = resume ? [...resume.steps] : [];
      const identity = dataIdentity(data);
      const save = async (done: number): Promise<void> => {
        if (!inputs.saveCheckpoint || position.saved?.step === done) return;
        const files = checkpointFiles({
          step: done,
          config,
          adapters: await readAdapters(model),
          initial,
          weights: config.method === 'full' ? await readModelWeights(fullModel()) : null,
          moments: await optimizer.state(),
          scan,
          allocation,
          initCheck,
          steps: [...records],
          evaluations: [...evaluations],
          data: identity,
          origin: inputs.origin ?? null,
        });
        // A full disk or a refused write costs the run its resumability, not its training: say so
        // (the app shows it, the CLI prints it) and go on. The last good checkpoint stays named.
        let where: string | null;
        try {
          where = (await inputs.saveCheckpoint(files)) || null;
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          const resumable = position.saved ? `can be resumed only from step ${position.saved.step}` : 'cannot be resumed';
          emit({ type: 'checkpoint', step: done, where: null, error: reason });
          emit({ type: 'log', message: `checkpoint: step ${done} could not be saved (${reason}); training goes on, but the run ${resumable}` });
          return;
        }
        position.saved = { step: done, where };
        emit({ type: 'checkpoint', step: done, where, error: null });
        emit({ type: 'log', message: `checkpoint: step ${done} saved${where ? ` in ${where}` : ''}` });
      };
      // A pause or stop saves first: a paused tab may lose its device, a stopped run may be continued.
      const live = liveModel(model, initial, config.method);
      const control = async (done: number): Promise<void> => {
        if (!inputs.control) return;
        await inputs.control.between?.(live);
        if (inputs.control.interrupted?.()) await save(done);
        try {
          await inputs.control.checkpoint();
        } catch (error) {
          if (error instanceof JobStopped) await save(done);
          throw error;
        }
      };
      const start = performance.now();
      // Seconds of evaluation inside the training loop, which a step's time leaves out.
      const evaluationBefore = evaluationSeconds;
      let firstStepSeconds = 0;
      const every = checkpointInterval(config);
      try {
        if (resume) optimizer.loadState(resume.moments);
        for (let step = startStep; step < config.steps; step++) {
          await control(step);
          position.step = step + 1;
          // The step's loss is the mean over every counted token of its micro-batches, so each
          // micro-batch's gradient is scaled by 1 / (the step's total count).
          const micro = Array.from({ length: config.gradAccum }, (_, k) => data.batchAt(data.schedule.positionAt(step * config.gradAccum + k)));
          trainBatches.push(...micro);
          const count = micro.reduce((sum, b) => sum + b.count, 0);
          const lr = learningRate(step, { baseLr: config.lr, totalSteps: config.steps, warmupFraction: config.warmupFraction, minRatio: config.minLrRatio });
          let lossSum = 0;
          let skipped = 0;
          for (const [k, batch] of micro.entries()) {
            const last = k === micro.length - 1;
            model.useBatch(batch);
            await gpu.run(`train step ${step + 1}.${k + 1}`, (enc) => {
              if (k === 0) optimizer.zeroGrad(enc);
              model.forward(enc, 1 / count);
              model.backward(enc);
              if (!last) return;
              optimizer.step(enc, step + 1, lr);
              enc.copy(model.losses, probe, model.N * 4);
              optimizer.copySkippedSteps(enc, probe, model.N * 4);
            });
            const values = await gpu.readF32(last ? probe : model.losses);
            for (let i = 0; i < model.N; i++) lossSum += values[i];
            if (last) skipped = values[model.N];
          }
          const loss = lossSum / count;
          // The optimizer skipped this step (weights and moments unchanged), but training on would
          // only hide the fault; nothing from this step is saved.
          if (!Number.isFinite(loss)) throw numericalFault('loss', loss, { ...position, step: step + 1 }, lr);
          if (skipped > 0) throw numericalFault('gradient', loss, { ...position, step: step + 1 }, lr);
          records.push({ step, loss, lr });
          const elapsed = (performance.now() - start) / 1000;
          const done = step + 1 - startStep;
          emit({ type: 'step', step: step + 1, of: config.steps, loss, lr, tokensPerSecond: (done * config.gradAccum * B * T) / elapsed, elapsed, remaining: (elapsed / done) * (config.steps - step - 1) });
          // The whole run's time: after the first step (shader compilation makes it slow, so this
          // errs long), after the fifth (steps 2 to 5 at their usual speed, one timed forward pass),
          // and after each validation (the steps since the first, that validation's own passes).
          const trainingElapsed = elapsed - (evaluationSeconds - evaluationBefore);
          if (done === 1) firstStepSeconds = trainingElapsed;
          const stepSeconds = done === 1 ? trainingElapsed : (trainingElapsed - firstStepSeconds) / (done - 1);
          const estimate = (secondsPerPass: number) => {
            const ahead = secondsAhead(step + 1, config, evaluationShape, { stepSeconds, forwardSeconds: secondsPerPass, decodeSeconds });
            emit({ type: 'estimate', step: step + 1, elapsed: (performance.now() - jobStart) / 1000, ...ahead });
          };
          if (done === 1 || done === 5) estimate(await timeForward(model, data.valBatchCount > 0 ? data.valBatchAt(0) : micro[0]));
          if (config.evalEvery > 0 && (step + 1) % config.evalEvery === 0 && step + 1 < config.steps && data.valBatchCount > 0) {
            const before = evaluationSeconds;
            evaluations.push(await evaluate(step + 1));
            estimate((evaluationSeconds - before) / scoringPasses(data.val.length, evaluationShape, config.evalBatches));
          }
          if (every > 0 && ((step + 1) % every === 0 || step + 1 === config.steps)) await save(step + 1);
        }
        position.step = null;
      } finally {
        probe.destroy();
        optimizer.destroy();
      }
      return records;
    });

    const { final, test, generations } = await timed('evaluate', () => evaluating(async () => {
      // Progress in scoring passes and decode steps, over the three parts in turn.
      const passes = finalEvaluationPasses(config, evaluationShape);
      const total = passes.validation + passes.test + passes.generation;
      let done = 0;
      const counter = (detail: string) => () => emit({ type: 'progress', phase: 'evaluate', done: ++done, total, detail });
      const final = data.valBatchCount > 0 ? await evaluate(config.steps, counter('validation')) : { step: config.steps, loss: NaN, tokens: 0, accuracy: null, examples: 0 };
      // The evaluation-batches setting bounds the test split's scoring as it bounds validation's.
      done = passes.validation;
      const test = data.test.length > 0 ? { step: config.steps, ...(await scoreRows(model, data.test, data.labels, data.layout, config.evalBatches, counter('test'))) } : null;
      if (test) emit({ type: 'test', evaluation: test });
      done = passes.validation + passes.test;
      const adapted = prompts.length ? await model.generate(prompts, { ...generateOptions, onPass: counter('generation') }) : [];
      // Generations that all stopped early leave passes uncounted: the bar ends full.
      if (done < total) emit({ type: 'progress', phase: 'evaluate', done: total, total, detail: 'generation' });
      const decode = (ids: ArrayLike<number>) => opened.tokenizer?.decode(Array.from(ids), { skipSpecialTokens: true }) ?? Array.from(ids).join(' ');
      const generations = prompts.map((p, i) => ({ prompt: decode(p), base: decode(baseGenerations[i]), adapted: decode(adapted[i]) }));
      if (generations.length) emit({ type: 'generations', samples: generations });
      return { final, test, generations };
    }));
    if (final.examples > 0 || data.valBatchCount > 0) evaluations.push(final);

    const trained = await readAdapters(model);
    const trainedWeights = config.method === 'full' ? await readModelWeights(fullModel()) : null;
    const valBatches = Array.from({ length: data.valBatchCount }, (_, i) => data.valBatchAt(i));
    const ranks = allocation ? new Map(targets.map((t, i) => [t.name, allocation!.layers[i].rank])) : undefined;
    const estimate = kind.estimate(opened, shape, { method: config.method, rank: config.rank, ranks, scanPasses: config.scanPasses, weightFormat: weightsFormat, checkpoints: Boolean(inputs.saveCheckpoint), keepScanGradients: inputs.keepScanGradients, resumed: Boolean(resume) }, gpu.bindingLimitBytes);
    const memory = { estimate, peakBytes: gpu.peakBytes - heldBefore };
    emit({ type: 'memory', peakBytes: memory.peakBytes, estimateBytes: estimate?.peak ?? null });
    const runSeconds = (performance.now() - jobStart) / 1000;
    emit({ type: 'run-time', seconds: runSeconds, evaluation: evaluationSeconds });
    emit({ type: 'log', message: `time: ${runSeconds.toFixed(1)} s in all, ${evaluationSeconds.toFixed(1)} s of it evaluation (${((100 * evaluationSeconds) / runSeconds).toFixed(0)} %)` });
    return { config, weightsFormat, scan, allocation, initial, trained, weights: trainedWeights, scanGradients, initCheck, gammaSearch, steps, evaluations, final, test, generations, seconds, batches: { scan: needsScan(config.method) ? scanBatches : [], train: trainBatches, val: valBatches }, memory };
  } catch (error) {
    throw explainFailure(error, position);
  } finally {
    built.release();
  }
}

/** Every adapter as it now stands, by target name. */
async function readAdapters(model: TrainableModel): Promise<Map<string, InitialAdapter>> {
  const out = new Map<string, InitialAdapter>();
  for (const [name, a] of model.adapters) out.set(name, { rank: a.rank, scale: a.scale, A: await model.gpu.readF32(a.A), B: await model.gpu.readF32(a.B) });
  return out;
}

/**
 * Puts a checkpoint's trained state on the model: its adapters (and, for LoRA-GA and PiSSA, W less
 * the initial adapters, as the run had it), or (full training) every weight.
 */
async function restore(model: TrainableModel, checkpoint: Checkpoint, fullModel: () => Transformer): Promise<void> {
  if (checkpoint.config.method !== 'full') {
    if (checkpoint.adapters.size === 0) throw new RangeError('the checkpoint holds no adapters');
    if (modifiesBaseWeights(checkpoint.config.method)) await subtractInitialAdapters(model, checkpoint.initial);
    for (const [name, a] of checkpoint.adapters) model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
    return;
  }
  // Saved whole (readModelWeights); cut into the model's row chunks where it splits a tensor.
  const full = fullModel();
  const saved = splitLike(full.weights, checkpoint.weights ?? new Map<string, Float32Array>());
  for (const [name, buffer] of full.weights) {
    const w = saved.get(name);
    if (!w || w.byteLength !== buffer.size) throw new RangeError(`the checkpoint's weight "${name}" ${w ? `has ${w.length} values, the model ${buffer.size / 4}` : 'is missing'}`);
    model.gpu.write(buffer, w);
  }
}

/** Mean over batches of each batch's mean token loss (as the scan measures it). */
async function meanLoss(model: TrainableModel, batches: readonly Batch[]): Promise<number> {
  let sum = 0;
  for (const batch of batches) {
    model.useBatch(batch);
    await model.gpu.run('loss', (enc) => model.forward(enc, null));
    sum += (await model.gpu.readF32(model.losses)).reduce((a, b) => a + b, 0) / batch.count;
  }
  return sum / batches.length;
}

/** Seconds of one forward pass of `batch`, read back so the GPU has finished it. */
async function timeForward(model: TrainableModel, batch: Batch): Promise<number> {
  const start = performance.now();
  model.useBatch(batch);
  await model.gpu.run('timed forward', (enc) => model.forward(enc, null));
  await model.gpu.readF32(model.losses, 1);
  return (performance.now() - start) / 1000;
}
