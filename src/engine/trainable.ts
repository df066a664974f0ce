// What the scan, the initialisations, the job and evaluation need of a model, whatever its kind: a
// batch in, a forward pass to per-row losses (and logits), a backward pass into the adapters' and the
// tracked frozen weights' gradients. The decoder-only Transformer (./transformer.ts) and T5
// (./t5-model.ts) both are one, so a new model class does not touch them.

import type { Encoder } from '../gpu/encoder';
import type { Gpu } from '../gpu/gpu';
import type { Batch } from '../data/batch';
import type { LoraAdapter } from './linear';
import type { PackedWeight } from './weight-format';

/** A batch as a model takes it: the tensors of data/batch.ts, without the bookkeeping. */
export type ModelBatch = Pick<Batch, 'tokens' | 'targets' | 'count' | 'source'>;

/** An adapter's trained tensors and their gradients, as the optimizer and the job read them. */
export type AdapterBuffers = Pick<LoraAdapter, 'rank' | 'scale' | 'A' | 'B' | 'dA' | 'dB'>;

export interface GenerateOptions {
  maxNewTokens: number;
  /** Generation of a row stops after this token (EOS). */
  stopToken: number | null;
  /** Fills the unused right part of each row. */
  padToken: number;
  /** Called after each forward pass, for progress. */
  onPass?: () => void;
  /** Chooses each next token from its logits (src/engine/sampling.ts); greedy when absent. */
  pick?: (logits: Float32Array) => number;
  /** Called with each token as it is chosen, with the index of its prompt. */
  onToken?: (prompt: number, token: number) => void;
  /** The frozen weights alone: the attached adapters are left out of these passes (they stay attached). */
  withoutAdapters?: boolean;
}

export interface TrainableModel {
  readonly gpu: Gpu;
  /** B rows of T positions of logits and losses (for an encoder-decoder model, the decoder's). */
  readonly shape: { B: number; T: number };
  /** B·T. */
  readonly N: number;
  readonly vocabSize: number;
  /** LoRA adapters by target name. */
  readonly adapters: ReadonlyMap<string, AdapterBuffers>;
  /** Puts an adapter on a target with initial A [r, in] and B [out, r]; its gradients start at zero. */
  attachAdapter(name: string, rank: number, scale: number, A: Float32Array, B: Float32Array): AdapterBuffers;
  detachAdapter(name: string): void;
  /** Makes backward accumulate ∂L/∂W [out, in] of a target's frozen weight, from zero. */
  trackWeightGradient(name: string): GPUBuffer;
  untrackWeightGradients(): void;
  /** Moves the tracked gradients to CPU memory (the scan in passes); weightGradient brings one back. */
  offloadWeightGradients(): Promise<void>;
  weightGradient(name: string): GPUBuffer;
  /** A target's frozen W [out, in]. */
  linearWeight(name: string): GPUBuffer | PackedWeight;
  /** The depth of a target's layer, counted from the input up: the scan in passes groups by it. */
  layerOf(name: string): number;
  useBatch(batch: ModelBatch): void;
  /** Forward pass; with a scale (1 / counted targets) the logits become their gradient, ready for backward. */
  forward(enc: Encoder, gradScale: number | null): void;
  /** Backward after forward(enc, scale); with downTo > 0 it stops below that layer (layerOf). */
  backward(enc: Encoder, downTo?: number): void;
  /** Per-row losses [N] (0 where the target is −100). */
  readonly losses: GPUBuffer;
  /** Logits [N, V] after forward(enc, null). */
  readonly logits: GPUBuffer;
  /** Continuations of each prompt (a prompt as the data's rows begin: see data/prepare.ts), greedy unless options.pick. */
  generate(prompts: readonly Uint32Array[], options: GenerateOptions): Promise<number[][]>;
  destroy(): void;
}
