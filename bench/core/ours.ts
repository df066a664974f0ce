// Our engine's side of the benchmark: the same code the job runs (src/train/job.ts), set up on a
// BenchModel. A training step is recorded exactly as the job records one (zero the gradients,
// forward, backward, AdamW with clipping, copy the losses out) and ends with the job's readback of
// the losses; a scan step is src/gora/scan.ts's gradientScan over one batch.

import type { Gpu } from '../../src/gpu/gpu';
import { matmul } from '../../src/engine/ops/matmul';
import { AdapterOptimizer, type ParameterGroup } from '../../src/engine/optimizer';
import { Transformer } from '../../src/engine/transformer';
import { Random } from '../../src/engine/random';
import { gradientScan } from '../../src/gora/scan';
import { scanAndAllocate, type InitialAdapter } from '../../src/train/adapters';
import { uniformLoraInit } from '../../src/train/initialise';
import { defaultConfig, type JobConfig } from '../../src/train/config';
import type { MatmulCase } from './flops';
import { packWeight, uploadPackedWeight } from '../../src/engine/pack-weights';
import type { PackedWeight, WeightFormat } from '../../src/engine/weight-format';
import type { BenchModel } from './model';

export function uploadModel(gpu: Gpu, model: BenchModel): Map<string, GPUBuffer> {
  const buffers = new Map<string, GPUBuffer>();
  for (const [name, data] of model.weights) buffers.set(name, gpu.upload(name, data));
  return buffers;
}

/** The model's frozen linear weights packed in `format` (src/engine/weight-format.ts), as the loader stores them. */
export function uploadPackedLinears(gpu: Gpu, model: BenchModel, format: WeightFormat): Map<string, PackedWeight> {
  const packed = new Map<string, PackedWeight>();
  for (const t of model.targets) {
    const name = `${t.name}.weight`;
    packed.set(name, uploadPackedWeight(gpu, name, format, t.out, t.in, packWeight(format, t.out, t.in, model.weights.get(name)!)));
  }
  return packed;
}

/** Waits until the GPU has done everything submitted so far (the end of a timed batch). */
export async function gpuIdle(gpu: Gpu): Promise<void> {
  await gpu.settle(gpu.device.queue.onSubmittedWorkDone());
}

export interface OurMatmul {
  /** Records `inner` products into one submission and waits for the GPU. */
  run(inner: number): Promise<void>;
  destroy(): void;
}

export function ourMatmul(gpu: Gpu, c: MatmulCase, seed: number): OurMatmul {
  const rng = new Random(seed);
  const a = gpu.upload(`bench ${c.name} A`, rng.floats(c.M * c.K));
  const b = gpu.upload(`bench ${c.name} B`, rng.floats(c.K * c.N));
  const out = gpu.createBuffer(`bench ${c.name} C`, c.M * c.N * 4);
  return {
    async run(inner) {
      await gpu.run(`bench ${c.name}`, (enc) => {
        for (let i = 0; i < inner; i++) matmul(enc, out, a, b, null, { M: c.M, N: c.N, K: c.K, transA: c.transA, transB: c.transB });
      });
      await gpuIdle(gpu);
    },
    destroy() {
      for (const buffer of [a, b, out]) buffer.destroy();
    },
  };
}

/** The LoRA config the benchmark trains with: the job's defaults for method 'lora'. */
export function benchLoraConfig(): JobConfig {
  return defaultConfig('lora');
}

/** The job's parameter groups for the model's adapters (LoRA+ ratio on B). */
export function adapterGroups(model: Transformer, config: JobConfig): ParameterGroup[] {
  return [...model.adapters].flatMap(([name, a]) => [
    { name: `${name}.lora_A`, param: a.A, grad: a.dA, size: a.A.size / 4, lrMultiplier: 1 },
    { name: `${name}.lora_B`, param: a.B, grad: a.dB, size: a.B.size / 4, lrMultiplier: config.loraPlusRatio },
  ]);
}

/** A model with adapters and the job's optimizer, stepping on one batch. */
export class OurTrainer {
  readonly transformer: Transformer;
  private readonly optimizer: AdapterOptimizer;
  private readonly probe: GPUBuffer;
  /** Counted targets of the batch: the mean loss divides by it. */
  private readonly count: number;
  private stepNumber = 0;

  constructor(
    readonly gpu: Gpu,
    model: BenchModel,
    weights: Map<string, GPUBuffer>,
    adapters: Map<string, InitialAdapter>,
    readonly config: JobConfig,
    packed: ReadonlyMap<string, PackedWeight> = new Map(),
  ) {
    this.transformer = new Transformer(gpu, model.spec, weights, { B: model.setup.batch, T: model.setup.seqLen }, packed);
    for (const [name, a] of adapters) this.transformer.attachAdapter(name, a.rank, a.scale, a.A, a.B);
    this.optimizer = new AdapterOptimizer(gpu, adapterGroups(this.transformer, config), { maxGradNorm: config.maxGradNorm, weightDecay: config.weightDecay });
    this.probe = gpu.createBuffer('bench step losses and skipped steps', (this.transformer.N + 1) * 4);
    this.transformer.setBatch(model.batch.tokens, model.batch.targets);
    this.count = model.batch.count;
  }

  /** One optimizer step as job.ts records it (one micro-batch); returns the batch's mean loss. */
  async step(): Promise<number> {
    const { transformer: model, optimizer, probe } = this;
    const step = ++this.stepNumber;
    await this.gpu.run(`bench train step ${step}`, (enc) => {
      optimizer.zeroGrad(enc);
      model.forward(enc, 1 / this.count);
      model.backward(enc);
      optimizer.step(enc, step, this.config.lr);
      enc.copy(model.losses, probe, model.N * 4);
      optimizer.copySkippedSteps(enc, probe, model.N * 4);
    });
    const values = await this.gpu.readF32(probe);
    let sum = 0;
    for (let i = 0; i < model.N; i++) sum += values[i];
    return sum / this.count;
  }

  destroy(): void {
    this.probe.destroy();
    this.optimizer.destroy();
    this.transformer.destroy();
  }
}

/** The frozen model, scanning one batch per call with src/gora/scan.ts. */
export class OurScanner {
  readonly transformer: Transformer;

  constructor(
    readonly gpu: Gpu,
    private readonly model: BenchModel,
    weights: Map<string, GPUBuffer>,
  ) {
    this.transformer = new Transformer(gpu, model.spec, weights, { B: model.setup.batch, T: model.setup.seqLen });
  }

  /** ∂L/∂W of every target added into its gradient, importances reduced; returns the batch's loss. */
  async step(): Promise<number> {
    const result = await gradientScan(this.transformer, this.model.targets, [this.model.batch]);
    return result.losses[0];
  }

  destroy(): void {
    this.transformer.destroy();
  }
}

export interface MemoryUse {
  /** Most bytes of GPU buffers alive at once during the setup and one training step. */
  peak_bytes: number;
  /** src/engine/memory.ts's estimate for the same run, made before anything is allocated. */
  estimate_bytes: number;
}

/**
 * Peak GPU bytes of a run's setup at this size, as the job does it: upload the weights, build the
 * model, (GoRA) scan one batch, allocate ranks and initialise, then the optimizer and one step.
 * Measured with Gpu.peakBytes from the bytes already allocated when it starts.
 */
export async function measureSetupMemory(gpu: Gpu, model: BenchModel, method: 'gora' | 'lora', estimate: number): Promise<MemoryUse> {
  const base = gpu.allocatedBytes;
  gpu.peakBytes = base;
  const config = { ...defaultConfig(method), batchSize: model.setup.batch, seqLen: model.setup.seqLen, scanBatches: 1 };
  const weights = uploadModel(gpu, model);
  let trainer: OurTrainer | null = null;
  try {
    let adapters: Map<string, InitialAdapter>;
    if (method === 'gora') {
      const scanner = new OurScanner(gpu, model, weights);
      try {
        adapters = (await scanAndAllocate(scanner.transformer, model.targets, [model.batch], config, { keepGradients: false })).adapters;
      } finally {
        scanner.destroy();
      }
    } else adapters = uniformLoraInit(model.targets, config);
    trainer = new OurTrainer(gpu, model, weights, adapters, config);
    await trainer.step();
    return { peak_bytes: gpu.peakBytes - base, estimate_bytes: estimate };
  } finally {
    trainer?.destroy();
    for (const buffer of weights.values()) buffer.destroy();
  }
}
