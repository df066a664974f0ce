// The benchmark: our engine against TensorFlow.js's WebGPU backend on one GPUDevice, at one model
// size — matmul GFLOP/s at the training shapes, tokens/s of a LoRA training step and of a GoRA scan
// step, the scan's share of a default run, and peak GPU memory — and our decoding's tokens/s with
// the key/value cache against full re-runs. Runs unchanged in Node and in the
// page: the caller brings the device, the model and (unless it failed to start) TF.js.

import type { Gpu } from '../../src/gpu/gpu';
import { estimateMemory } from '../../src/train/memory-estimate';
import { defaultConfig } from '../../src/train/config';
import { uniformLoraInit } from '../../src/train/initialise';
import { gflops, matmulCases } from './flops';
import type { BenchModel } from './model';
import { benchLoraConfig, measureSetupMemory, ourMatmul, OurScanner, OurTrainer, uploadModel, uploadPackedLinears, type MemoryUse } from './ours';
import { storedBytes, type WeightFormat } from '../../src/engine/weight-format';
import type { InitialAdapter } from '../../src/train/adapters';
import type { JobConfig } from '../../src/train/config';
import { describeError, timeInterleaved, type Timed } from './timing';
import { TfScanner, TfTrainer, tfMatmul, type TfSide } from './tfjs';
import { measureDecode, type DecodeResult } from './decode';

export interface BenchOptions {
  /** Timed calls per matmul shape and contender, at most. */
  matmulReps: number;
  /** Timed training and scan steps per contender, at most. */
  stepReps: number;
  /** Seconds the whole run should take at most: later numbers get fewer repetitions (never none). */
  budgetSeconds: number;
  /**
   * Each timed matmul call repeats its product (in one submission) as often as our kernel needs to
   * take this long, so that submission and sync overheads do not dominate on fast GPUs.
   */
  minCallSeconds: number;
}

export const DEFAULT_OPTIONS: BenchOptions = { matmulReps: 5, stepReps: 3, budgetSeconds: 480, minCallSeconds: 0.05 };

export interface MatmulResult {
  name: string;
  layers: string;
  product: string;
  M: number;
  N: number;
  K: number;
  flops: number;
  /** Products per timed call. */
  inner: number;
  ours_gflops: number;
  ours_reps: number;
  tfjs_gflops: number | null;
  tfjs_reps: number;
  tfjs_error?: string;
}

export interface StepResult {
  tokens: number;
  ours_seconds: number;
  ours_tokens_per_s: number;
  ours_reps: number;
  tfjs_seconds: number | null;
  tfjs_tokens_per_s: number | null;
  tfjs_reps: number;
  tfjs_error?: string;
  /**
   * Each side's losses on its first two steps (same weights, adapters, batch and optimizer: they
   * should agree, the second one showing that the two updates did too).
   */
  ours_losses: number[];
  tfjs_losses: number[];
}

export interface BenchResult {
  size: string;
  seq_len: number;
  batch: number;
  runtime: 'node' | 'browser';
  adapter: { name: string; vendor: string; architecture: string; description: string; isFallbackAdapter: boolean };
  kernel_variant: string;
  model: { weights: string; hidden: number; layers: number; heads: number; kv_heads: number; head_dim: number; intermediate: number; vocab: number; parameters: number };
  lora: { rank: number; alpha: number; targets: number };
  repetitions: { statistic: 'median'; matmul_max: number; step_max: number; warmup: 1; budget_seconds: number };
  matmul: MatmulResult[];
  train_step: StepResult;
  scan_step: StepResult;
  /** Our LoRA train step with the frozen linear weights stored in bf16 against f32 storage. */
  storage_16bit: StorageResult;
  /** Greedy decoding through the key/value cache against full re-runs. */
  decode: DecodeResult;
  ratios: { matmul: Record<string, number | null>; matmul_min: number | null; train_step: number | null; scan_step: number | null };
  scan_overhead: { scan_batches: number; steps: number; ours: number; tfjs: number | null };
  memory: { gora: MemoryUse; lora: MemoryUse };
  tfjs: { version: string; error: string | null };
  seconds: number;
}

export interface StorageResult {
  f32_seconds: number;
  bf16_seconds: number | null;
  /** Step time on bf16 storage over f32 storage: below 1, bf16 is faster. */
  time_ratio: number | null;
  reps: number;
  /** GPU bytes of the frozen linear weights in each format. */
  f32_bytes: number;
  bf16_bytes: number;
  error?: string;
}

const STEP_WEIGHT = 4;
/** TF.js's training and scan steps took 9–12× ours at the sizes measured (README): its guess for the budget. */
const RIVAL_STEP_FACTOR = 12;

export interface BenchInputs {
  gpu: Gpu;
  model: BenchModel;
  runtime: 'node' | 'browser';
  /** TF.js on the same device, or why it could not start. */
  tfjs: { side: TfSide; version: string } | { error: string; version: string };
  options: BenchOptions;
  log?: (line: string) => void;
}

export async function runBench(inputs: BenchInputs): Promise<BenchResult> {
  const { gpu, model, options } = inputs;
  const log = inputs.log ?? (() => {});
  const start = performance.now();
  const end = start + options.budgetSeconds * 1000;
  const side = 'side' in inputs.tfjs ? inputs.tfjs.side : null;
  const tfStartError = 'error' in inputs.tfjs ? inputs.tfjs.error : null;
  const { spec, setup } = model;
  const tokens = setup.batch * setup.seqLen;
  const config = benchLoraConfig();
  // Each measurement still to come gets its share of the time left: a training or scan step
  // counts as STEP_WEIGHT matmul shapes, as its ratio is the headline number.
  let left = 0;
  const until = (weight: number) => performance.now() + (Math.max(0, end - performance.now()) * weight) / Math.max(weight, left);

  log(`memory: GoRA and LoRA setups at ${setup.size}`);
  const memory = {
    gora: await measureSetupMemory(gpu, model, 'gora', estimateMemory(spec, setup.batch, setup.seqLen, { method: 'gora', rank: defaultConfig('gora').rank, rankMax: defaultConfig('gora').rankMax }).peak),
    lora: await measureSetupMemory(gpu, model, 'lora', estimateMemory(spec, setup.batch, setup.seqLen, { method: 'lora', rank: config.rank }).peak),
  };

  const weights = uploadModel(gpu, model);
  const adapters = uniformLoraInit(model.targets, config);
  const cases = matmulCases(spec, tokens, config.rank);
  left = cases.length + 4 * STEP_WEIGHT;
  try {
    log('train step: LoRA forward, backward and AdamW');
    const train = await timeSteps(
      () => new OurTrainer(gpu, model, weights, adapters, config),
      side ? () => new TfTrainer(side, model, adapters, config) : null,
      tfStartError,
      tokens,
      options.stepReps,
      until(STEP_WEIGHT),
    );
    left -= STEP_WEIGHT;
    log('scan step: gradients of the frozen weights');
    const scan = await timeSteps(() => new OurScanner(gpu, model, weights), side ? () => new TfScanner(side, model) : null, tfStartError, tokens, options.stepReps, until(STEP_WEIGHT));
    left -= STEP_WEIGHT;
    log('train step: the same LoRA step with the frozen linear weights stored in bf16');
    const storage = await timeStorage(gpu, model, weights, adapters, config, options.stepReps, until(STEP_WEIGHT));
    left -= STEP_WEIGHT;
    log(`decode: ${setup.decode.newTokens} tokens after ${setup.decode.prompt}, through the key/value cache and by re-runs`);
    const decode = await measureDecode(gpu, model, weights, options.stepReps, until(STEP_WEIGHT));
    left -= STEP_WEIGHT;
    const matmul: MatmulResult[] = [];
    for (const [i, c] of cases.entries()) {
      log(`matmul ${c.name} [${c.M}×${c.K}]·[${c.K}×${c.N}]`);
      const ours = ourMatmul(gpu, c, i);
      let theirs: ReturnType<typeof tfMatmul> | null = null;
      let theirsError = tfStartError;
      try {
        if (side) theirs = tfMatmul(side, c, i);
      } catch (error) {
        theirsError = describeError(error);
      }
      try {
        const inner = await productsPerCall(ours, options.minCallSeconds);
        const rival = theirs;
        const t = await timeInterleaved({ run: () => ours.run(inner) }, rival && { run: () => rival.run(inner) }, theirsError, { maxReps: options.matmulReps, until: until(1) });
        const rate = (timed: Timed) => (timed.seconds ? gflops(c.flops * inner, timed.seconds) : null);
        matmul.push({
          name: c.name,
          layers: c.layers,
          product: c.product,
          M: c.M,
          N: c.N,
          K: c.K,
          flops: c.flops,
          inner,
          ours_gflops: rate(t.ours)!,
          ours_reps: t.ours.reps,
          tfjs_gflops: rate(t.tfjs),
          tfjs_reps: t.tfjs.reps,
          ...(t.tfjs.error ? { tfjs_error: t.tfjs.error } : {}),
        });
      } finally {
        ours.destroy();
        theirs?.destroy();
      }
      left--;
    }
    const ratio = (a: number | null, b: number | null) => (a !== null && b ? a / b : null);
    const matmulRatios = Object.fromEntries(matmul.map((m) => [m.name, ratio(m.ours_gflops, m.tfjs_gflops)]));
    const known = Object.values(matmulRatios).filter((r): r is number => r !== null);
    const gora = defaultConfig('gora');
    const overhead = (s: StepResult['ours_seconds'] | null, t: StepResult['ours_seconds'] | null) => (s !== null && t ? (gora.scanBatches * s) / (gora.steps * gora.gradAccum * t) : null);
    return {
      size: setup.size,
      seq_len: setup.seqLen,
      batch: setup.batch,
      runtime: inputs.runtime,
      adapter: {
        name: gpu.info.description || gpu.info.device || gpu.info.architecture,
        vendor: gpu.info.vendor,
        architecture: gpu.info.architecture,
        description: gpu.info.description,
        isFallbackAdapter: gpu.info.isFallbackAdapter,
      },
      kernel_variant: gpu.kernelVariant,
      model: {
        weights: setup.weights,
        hidden: spec.hiddenSize,
        layers: spec.layers,
        heads: spec.heads,
        kv_heads: spec.kvHeads,
        head_dim: spec.headDim,
        intermediate: spec.intermediateSize,
        vocab: spec.vocabSize,
        parameters: [...model.weights.values()].reduce((n, w) => n + w.length, 0),
      },
      lora: { rank: config.rank, alpha: config.alpha, targets: model.targets.length },
      repetitions: { statistic: 'median', matmul_max: options.matmulReps, step_max: options.stepReps, warmup: 1, budget_seconds: options.budgetSeconds },
      matmul,
      train_step: train,
      scan_step: scan,
      storage_16bit: storage,
      decode,
      ratios: { matmul: matmulRatios, matmul_min: known.length ? Math.min(...known) : null, train_step: ratio(train.ours_tokens_per_s, train.tfjs_tokens_per_s), scan_step: ratio(scan.ours_tokens_per_s, scan.tfjs_tokens_per_s) },
      scan_overhead: { scan_batches: gora.scanBatches, steps: gora.steps * gora.gradAccum, ours: overhead(scan.ours_seconds, train.ours_seconds)!, tfjs: overhead(scan.tfjs_seconds, train.tfjs_seconds) },
      memory,
      tfjs: { version: inputs.tfjs.version, error: tfStartError },
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    for (const buffer of weights.values()) buffer.destroy();
  }
}

/** Our train step on f32 weights against bf16 storage of the linear weights, interleaved. */
async function timeStorage(gpu: Gpu, model: BenchModel, weights: Map<string, GPUBuffer>, adapters: Map<string, InitialAdapter>, config: JobConfig, maxReps: number, until: number): Promise<StorageResult> {
  const f32 = new OurTrainer(gpu, model, weights, adapters, config);
  const packed = uploadPackedLinears(gpu, model, 'bf16');
  // The bf16 model reads its linear weights only from `packed`: its f32 map leaves them out.
  const rest = new Map([...weights].filter(([name]) => !packed.has(name)));
  const linearBytes = (format: WeightFormat) => model.targets.reduce((sum, t) => sum + storedBytes(format, t.out, t.in), 0);
  let bf16: OurTrainer | null = null;
  try {
    bf16 = new OurTrainer(gpu, model, rest, adapters, config, packed);
    const t = await timeInterleaved({ run: () => f32.step() }, { run: () => bf16!.step() }, null, { maxReps, until });
    return {
      f32_seconds: t.ours.seconds!,
      bf16_seconds: t.tfjs.seconds,
      time_ratio: t.tfjs.seconds !== null ? t.tfjs.seconds / t.ours.seconds! : null,
      reps: t.ours.reps,
      f32_bytes: linearBytes('f32'),
      bf16_bytes: linearBytes('bf16'),
      ...(t.tfjs.error ? { error: t.tfjs.error } : {}),
    };
  } finally {
    f32.destroy();
    bf16?.destroy();
    for (const w of packed.values()) {
      w.data.destroy();
      w.scales?.destroy();
    }
  }
}

/** How many products one timed call records: enough for our kernel to take `seconds` (1 to 1024). */
async function productsPerCall(ours: { run(inner: number): Promise<void> }, seconds: number): Promise<number> {
  await ours.run(1); // pipeline creation
  let one = Infinity;
  // The faster of two calls: a busy machine slows some calls, never speeds one up.
  for (let i = 0; i < 2; i++) {
    const start = performance.now();
    await ours.run(1);
    one = Math.min(one, (performance.now() - start) / 1000);
  }
  return Math.max(1, Math.min(1024, Math.ceil(seconds / Math.max(one, 1e-6))));
}

interface Stepper {
  step(): Promise<number>;
  destroy(): void;
}

/** Builds both sides, records each one's first loss (the warm-up step), then times them interleaved. */
async function timeSteps(makeOurs: () => Stepper, makeTheirs: (() => Stepper) | null, startError: string | null, tokens: number, maxReps: number, until: number): Promise<StepResult> {
  const ours = makeOurs();
  let theirs: Stepper | null = null;
  let theirsError = startError;
  try {
    if (makeTheirs) theirs = makeTheirs();
  } catch (error) {
    theirsError = describeError(error);
  }
  const oursLosses: number[] = [];
  const theirsLosses: number[] = [];
  try {
    // A rival step expected to run past the budget is not started (a software adapter at 135M).
    const skipRival = (seconds: number) =>
      performance.now() + RIVAL_STEP_FACTOR * seconds * 1000 > until ? `not run: at about ${RIVAL_STEP_FACTOR}× our ${seconds.toFixed(1)} s step, its first step would pass the time budget` : null;
    const t = await timeInterleaved(
      {
        run: async () => {
          const loss = await ours.step();
          if (oursLosses.length < 2) oursLosses.push(loss);
        },
      },
      theirs
        ? {
            run: async () => {
              const loss = await theirs!.step();
              if (theirsLosses.length < 2) theirsLosses.push(loss);
            },
          }
        : null,
      theirsError,
      { maxReps, until, skipRival },
    );
    const perSecond = (s: number | null) => (s ? tokens / s : null);
    return {
      tokens,
      ours_seconds: t.ours.seconds!,
      ours_tokens_per_s: perSecond(t.ours.seconds)!,
      ours_reps: t.ours.reps,
      tfjs_seconds: t.tfjs.seconds,
      tfjs_tokens_per_s: perSecond(t.tfjs.seconds),
      tfjs_reps: t.tfjs.reps,
      ...(t.tfjs.error ? { tfjs_error: t.tfjs.error } : {}),
      ours_losses: oursLosses,
      tfjs_losses: theirsLosses,
    };
  } finally {
    ours.destroy();
    theirs?.destroy();
  }
}
