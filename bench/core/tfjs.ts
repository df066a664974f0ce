// TensorFlow.js's side of the benchmark, on our own GPUDevice: its WebGPU backend is constructed
// with the device the engine uses, so both run on the same adapter, queue and driver. TF.js runs
// with its default flags; each timed batch ends with a flush of its command encoder and a wait for
// the queue, as ours does, or with the loss readback, as our training step does.

import * as tf from '@tensorflow/tfjs-core';
// Only the ES-module build of tfjs-core carries the gradient registrations (see ../tfjs-esm.mjs).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { Gpu } from '../../src/gpu/gpu';
import { Random } from '../../src/engine/random';
import type { InitialAdapter } from '../../src/train/adapters';
import type { JobConfig } from '../../src/train/config';
import type { MatmulCase } from './flops';
import type { BenchModel } from './model';
import { TfLlama } from './tf-llama';

export interface TfSide {
  backend: WebGPUBackend;
  /** Submits whatever TF.js has recorded and waits until the GPU has done it. */
  idle(): Promise<void>;
  /** Reads a tensor back (the loss), waiting as our engine waits. */
  read(t: tf.Tensor): Promise<Float32Array>;
  /**
   * Runs TF.js work inside device error scopes: a kernel the device refuses (validation, out of
   * memory) becomes an error naming it instead of a silently skipped command buffer.
   */
  guarded<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Registers TF.js's WebGPU backend on `gpu.device` under the name its kernels are registered for
 * ('webgpu'), replacing the one tfjs-backend-webgpu registers for itself (its own adapter and device).
 */
export async function createTfSide(gpu: Gpu): Promise<TfSide> {
  // The backend refuses to construct unless navigator.gpu exists, and Node (Dawn) has no navigator.
  // It is given our device, so it never asks this object for an adapter.
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu: {} }, configurable: true });
  else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: {}, configurable: true });
  const info = { vendor: gpu.info.vendor, architecture: gpu.info.architecture, device: gpu.info.device, description: gpu.info.description } as GPUAdapterInfo;
  const backend = new WebGPUBackend(gpu.device, info);
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => backend);
  if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js could not start its WebGPU backend on this device');
  return {
    backend,
    async idle() {
      backend.ensureCommandEncoderReady();
      backend.endComputePassEncoder();
      backend.submitQueue();
      await gpu.settle(gpu.device.queue.onSubmittedWorkDone());
    },
    async read(t) {
      return (await gpu.settle(t.data())) as Float32Array;
    },
    async guarded(work) {
      const device = gpu.device;
      device.pushErrorScope('internal');
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      let result: Awaited<ReturnType<typeof work>>;
      try {
        result = await work();
      } finally {
        const errors = await gpu.settle(Promise.all([device.popErrorScope(), device.popErrorScope(), device.popErrorScope()]));
        const first = errors.find((e) => e !== null);
        if (first) throw new Error(`TensorFlow.js on this device: ${first.message.split('\n')[0]}`);
      }
      return result;
    },
  };
}

export interface TfMatmul {
  run(inner: number): Promise<void>;
  destroy(): void;
}

/** The same product with tf.matMul (its transposeA / transposeB flags), `inner` times per batch. */
export function tfMatmul(side: TfSide, c: MatmulCase, seed: number): TfMatmul {
  const rng = new Random(seed);
  const a = tf.tensor(rng.floats(c.M * c.K), c.transA ? [c.K, c.M] : [c.M, c.K]) as tf.Tensor2D;
  const b = tf.tensor(rng.floats(c.K * c.N), c.transB ? [c.N, c.K] : [c.K, c.N]) as tf.Tensor2D;
  return {
    run(inner) {
      return side.guarded(async () => {
        for (let i = 0; i < inner; i++) tf.matMul(a, b, c.transA, c.transB).dispose();
        await side.idle();
      });
    },
    destroy() {
      a.dispose();
      b.dispose();
    },
  };
}

/** LoRA training with tf.variableGrads and tf.train.adam, clipped at the job's global norm. */
export class TfTrainer {
  readonly model: TfLlama;
  private readonly optimizer: tf.Optimizer;

  constructor(
    private readonly side: TfSide,
    bench: BenchModel,
    adapters: Map<string, InitialAdapter>,
    private readonly config: JobConfig,
  ) {
    this.model = new TfLlama(bench);
    this.model.attachAdapters(adapters);
    // AdamW with weight decay 0 (the job's default) is Adam; β and ε as src/engine/optimizer.ts.
    this.optimizer = tf.train.adam(config.lr, 0.9, 0.999, 1e-8);
  }

  step(): Promise<number> {
    return this.side.guarded(() => this.unguardedStep());
  }

  private async unguardedStep(): Promise<number> {
    const variables = this.model.adapterVariables;
    const { value, grads } = tf.variableGrads(() => this.model.loss(), variables);
    tf.tidy(() => {
      // clip_grad_norm_: scale = min(1, max_norm / (‖g‖ + 1e-6)), as shaders/optimizer.wgsl.
      // Summed pairwise: tf.addN binds every input at once, past the storage-buffer limit of 8–12.
      const norm = tf.sqrt(Object.values(grads).map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b)));
      const scale = tf.minimum(1, tf.div(this.config.maxGradNorm, tf.add(norm, 1e-6)));
      const clipped: tf.NamedTensorMap = {};
      for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, scale);
      this.optimizer.applyGradients(clipped);
    });
    for (const g of Object.values(grads)) g.dispose();
    const loss = (await this.side.read(value))[0];
    value.dispose();
    return loss;
  }

  destroy(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/** GoRA's scan with TF.js: ∂L/∂W of every frozen target weight, added into a sum, and importances. */
export class TfScanner {
  readonly model: TfLlama;
  private readonly sums: tf.Variable[];

  constructor(
    private readonly side: TfSide,
    bench: BenchModel,
  ) {
    this.model = new TfLlama(bench);
    this.sums = this.model.targetVariables.map((w) => tf.variable(tf.zerosLike(w), false));
  }

  step(): Promise<number> {
    return this.side.guarded(() => this.unguardedStep());
  }

  private async unguardedStep(): Promise<number> {
    const targets = this.model.targetVariables;
    const { value, grads } = tf.variableGrads(() => this.model.loss(), targets);
    targets.forEach((w, i) => {
      const g = grads[w.name];
      this.sums[i].assign(tf.tidy(() => tf.add(this.sums[i], g)));
      g.dispose();
    });
    // mean |W ⊙ G| per target, read back with the loss as gradientScan reads its importances.
    const importances = tf.tidy(() => tf.stack(targets.map((w, i) => tf.mean(tf.abs(tf.mul(w, this.sums[i]))))));
    const loss = (await this.side.read(value))[0];
    await this.side.read(importances);
    importances.dispose();
    value.dispose();
    return loss;
  }

  destroy(): void {
    for (const s of this.sums) s.dispose();
    this.model.dispose();
  }
}
