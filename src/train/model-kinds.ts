// What differs between the kinds of model a job trains, in one table: how the GPU model is built,
// how its frozen weights are stored, what the memory plan knows of it, how the report describes it,
// PEFT's task type, and what the data needs to know. Everything else — scan, allocation,
// initialisation, training, evaluation, export — reads a TrainableModel (src/engine/trainable.ts).

import type { Gpu } from '../gpu/gpu';
import type { TrainableModel } from '../engine/trainable';
import { Transformer } from '../engine/transformer';
import { T5Model } from '../engine/t5-model';
import { destroyWeights, loadWeights, type LoadProgress } from '../engine/load';
import { WEIGHT_FORMATS, type WeightFormat } from '../engine/weight-format';
import { seq2seqTextIds, type Seq2SeqIds } from '../data/seq2seq';
import { tokenPlan } from '../data/tokenize';
import type { AnyOpenedModel } from '../model/open';
import type { OpenedModel } from '../model/load';
import type { LinearTarget, ModelSpec } from '../model/spec';
import { readWeights as readCheckpointWeights } from '../model/weights';
import { fullModelFiles, modelFolderFiles, TORCH_DTYPES, weightFiles, type ModelDtype } from '../export/full-model';
import { checkpointDtype } from '../model/load';
import { readT5Weights, t5LinearTargets, t5TensorShapes, type OpenedT5 } from '../model/t5-load';
import { defaultConfig, resolveWeightFormat, type JobConfig, type Method } from './config';
import { estimateMemory, type MemoryEstimate, type TrainableSettings } from './memory-estimate';
import { describePlan, planRun, type DeviceBudget, type RunPlan } from './memory-plan';

export interface BuiltModel {
  model: TrainableModel;
  /** The decoder-only engine itself, which full training reads and writes every weight of; null for other kinds. */
  transformer: Transformer | null;
  /** Frees the model and its weights. */
  release(): void;
}

/** A batch's shape: B rows of T positions (for an encoder-decoder model S encoder and T decoder positions). */
export interface JobShape {
  B: number;
  S: number;
  T: number;
}

export interface ModelSummary {
  /** `llama`, `t5`, … */
  architecture: string;
  /** "4 layers × 128"; a T5 model's "2 + 2 layers × 128" (encoder + decoder). */
  shape: string;
  parameters: number;
  /** The checkpoint's dtype of its linear weights (BF16, F32, …). */
  dtype: string;
  /** The decoder-only spec the memory plan reads; null for a model it does not plan. */
  spec: ModelSpec | null;
  /** The formats its frozen weights can be held in on the GPU (src/engine/weight-format.ts). */
  formats: readonly WeightFormat[];
}

interface ModelKind<M extends AnyOpenedModel> {
  build(gpu: Gpu, opened: M, shape: JobShape, format: WeightFormat, onProgress: (p: LoadProgress) => void): Promise<BuiltModel>;
  /** How the frozen linear weights are held on the GPU for these settings (a RangeError when they cannot be). */
  weightFormat(config: JobConfig, opened: M): WeightFormat;
  /** Why a method cannot train this kind, or null. */
  methodProblem(method: Method): string | null;
  /** The micro-batch that fits the device (src/train/memory-plan.ts); null where there is no plan. */
  plan(opened: M, config: JobConfig, device: DeviceBudget): RunPlan | null;
  /** The memory plan's count of a run (src/train/memory-estimate.ts); null where it has none. */
  estimate(opened: M, shape: JobShape, settings: TrainableSettings, bindingLimit: number): MemoryEstimate | null;
  /** The model's shapes as gora_report.json records them. */
  describe(opened: M): Record<string, unknown>;
  /** What the app shows of the model before a run. */
  summary(opened: M): ModelSummary;
  /** PEFT's task_type for an adapter of this model. */
  taskType: 'CAUSAL_LM' | 'SEQ_2_SEQ_LM';
  /** What an encoder-decoder model's data needs (src/data/seq2seq.ts); null for a decoder-only one. */
  seq2seq(opened: M): Seq2SeqIds | null;
  /** A prompt's ids as the model reads it: the tokenizer's prefix (BOS) and the text; for T5 the text and EOS. */
  promptIds(opened: M, text: string): number[];
  /** The longest sequence its positions allow; null where there is no such limit (T5's relative positions). */
  maxLength(opened: M): number | null;
  /** Every weight, f32, by the names folderFiles takes (decoder-only: canonical names in the engine's layout). */
  readWeights(opened: M): Promise<Map<string, Float32Array>>;
  /** A target's weight among them. */
  weightOf(target: LinearTarget): string;
  /** A complete model folder of these weights, in `dtype`, with the companion (tokenizer) files. */
  folderFiles(opened: M, weights: ReadonlyMap<string, Float32Array>, options: { dtype: ModelDtype; companionFiles: ReadonlyMap<string, Uint8Array> }): Map<string, Uint8Array>;
}

const decoder: ModelKind<OpenedModel> = {
  async build(gpu, opened, { B, T }, format, onProgress) {
    const weights = await loadWeights(gpu, opened, format, onProgress);
    try {
      const transformer = new Transformer(gpu, opened.spec, weights.buffers, { B, T }, weights.packed);
      return {
        model: transformer,
        transformer,
        release: () => {
          transformer.destroy();
          destroyWeights(weights);
        },
      };
    } catch (error) {
      destroyWeights(weights);
      throw error;
    }
  },
  weightFormat: (config, opened) => resolveWeightFormat(config, checkpointDtype(opened)),
  methodProblem: () => null,
  plan: (opened, config, device) => planRun(opened.spec, config, device, checkpointDtype(opened)),
  estimate: (opened, { B, T }, settings, bindingLimit) => estimateMemory(opened.spec, B, T, settings, bindingLimit),
  describe: ({ spec }) => ({
    architecture: spec.architecture,
    hidden_size: spec.hiddenSize,
    layers: spec.layers,
    heads: spec.heads,
    kv_heads: spec.kvHeads,
    head_dim: spec.headDim,
    intermediate_size: spec.intermediateSize,
    vocab_size: spec.vocabSize,
  }),
  summary: (opened) => ({
    architecture: opened.spec.architecture,
    shape: `${opened.spec.layers} layers × ${opened.spec.hiddenSize}`,
    parameters: opened.entries.reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1), 0),
    dtype: checkpointDtype(opened),
    spec: opened.spec,
    formats: WEIGHT_FORMATS,
  }),
  taskType: 'CAUSAL_LM',
  seq2seq: () => null,
  promptIds(opened, text) {
    const tokenizer = requireTokenizer(opened.tokenizer);
    return [...tokenPlan(tokenizer).prefix, ...tokenizer.encode(text, { addSpecialTokens: false })];
  },
  maxLength: (opened) => opened.spec.maxPositions,
  async readWeights(opened) {
    const weights = new Map<string, Float32Array>();
    for await (const { entry, data } of readCheckpointWeights(opened.checkpoint, opened.entries)) weights.set(entry.name, data);
    return weights;
  },
  weightOf: (target) => `${target.name}.weight`,
  folderFiles: (opened, weights, { dtype, companionFiles }) => fullModelFiles({ config: opened.config, entries: opened.entries, weights, companionFiles, dtype }),
};

const t5: ModelKind<OpenedT5> = {
  async build(gpu, opened, shape, _format, onProgress) {
    const weights = await readT5Weights(opened);
    const bytes = [...weights.values()].reduce((sum, w) => sum + w.byteLength, 0);
    onProgress({ tensors: weights.size, totalTensors: weights.size, bytes, totalBytes: bytes, name: 'every tensor' });
    const model = new T5Model(gpu, opened.spec, weights, shape);
    return { model, transformer: null, release: () => model.destroy() };
  },
  weightFormat(config) {
    if (config.weights != null && config.weights !== 'f32') throw new RangeError(`a T5 model's frozen weights are held in f32 on the GPU: set the frozen weights to the checkpoint's or f32, not ${config.weights}`);
    return 'f32';
  },
  methodProblem: (method) => (method === 'full' ? 'full training is for decoder-only models; a T5 model trains adapters (gora, lora, rslora, lora-ga, pissa)' : null),
  plan: () => null,
  estimate: () => null,
  describe: ({ spec }) => ({
    architecture: 't5',
    d_model: spec.dModel,
    d_kv: spec.dKv,
    d_ff: spec.dFF,
    heads: spec.heads,
    encoder_layers: spec.encoderLayers,
    decoder_layers: spec.decoderLayers,
    feed_forward: spec.feedForward,
    tied_embeddings: spec.tiedEmbeddings,
    vocab_size: spec.vocabSize,
  }),
  summary: ({ spec, checkpoint }) => ({
    architecture: 't5',
    shape: `${spec.encoderLayers} + ${spec.decoderLayers} layers (encoder + decoder) × ${spec.dModel}`,
    parameters: t5TensorShapes(spec).reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1), 0),
    dtype: checkpoint.tensor(t5LinearTargets(spec)[0].name).dtype,
    spec: null,
    formats: ['f32'],
  }),
  taskType: 'SEQ_2_SEQ_LM',
  promptIds: (opened, text) => seq2seqTextIds(text, requireTokenizer(opened.tokenizer), t5.seq2seq(opened)!),
  maxLength: () => null,
  readWeights: readT5Weights,
  // A T5 target is named by its weight.
  weightOf: (target) => target.name,
  folderFiles(opened, weights, { dtype, companionFiles }) {
    const tensors = t5TensorShapes(opened.spec).map(([name, shape]) => ({ name, dtype, shape, data: weights.get(name)! }));
    return modelFolderFiles({ ...opened.config, torch_dtype: TORCH_DTYPES[dtype] }, weightFiles(tensors), companionFiles);
  },
  seq2seq: ({ spec }) => ({ eos: spec.eosTokenId, pad: spec.padTokenId, decoderStart: spec.decoderStartTokenId }),
};

function requireTokenizer<T>(tokenizer: T | null): T {
  if (!tokenizer) throw new RangeError('the model folder has no tokenizer.json, which a prompt needs');
  return tokenizer;
}

const KINDS = { decoder, t5 };

export function modelKind(opened: AnyOpenedModel): ModelKind<AnyOpenedModel> {
  return KINDS[opened.kind] as ModelKind<AnyOpenedModel>;
}

/** How the frozen weights are held to run the model as it is (scoring, generation): the checkpoint's own dtype where the kind allows. */
export function storedWeightFormat(opened: AnyOpenedModel): WeightFormat {
  return modelKind(opened).weightFormat({ ...defaultConfig('lora'), weights: null }, opened);
}

/** The settings to run on this device, and the line that says how they were chosen. */
export function planForDevice(opened: AnyOpenedModel, config: JobConfig, device: DeviceBudget): { config: JobConfig; plan: RunPlan | null; description: string } {
  const plan = modelKind(opened).plan(opened, config, device);
  if (plan) return { config: plan.config, plan, description: describePlan(plan) };
  return { config, plan: null, description: `GPU memory: not planned for a ${opened.kind.toUpperCase()} model; the run uses the micro-batch of ${config.batchSize} asked for` };
}
