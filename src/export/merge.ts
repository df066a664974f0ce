// A merged model: the base model with each adapter's s·B·A added into the weight it adapts, as a
// complete Hugging Face model folder that loads without PEFT (and back into this app as a model).
// Any method's adapter merges the same way: LoRA-GA's and PiSSA's exported adapters are relative to
// the original W (src/export/peft.ts withInitialSubtracted), so W + s·B·A is the trained model.

import type { LinearTarget } from '../model/spec';
import type { AnyOpenedModel } from '../model/open';
import type { LoadedAdapter } from './peft';
import { modelKind } from '../train/model-kinds';
import { MODEL_DTYPES, TORCH_DTYPES, type ModelDtype } from './full-model';
import { checkpointFormat } from '../train/config';
import { MODEL_CARD, mergedModelCard } from './model-card';

/** The dtype a merged folder keeps by default: the checkpoint's (BF16 stays BF16, anything else not 16-bit is F32). */
export function checkpointModelDtype(model: AnyOpenedModel): ModelDtype {
  return MODEL_DTYPES[checkpointFormat(modelKind(model).summary(model).dtype) as keyof typeof MODEL_DTYPES];
}

/** W [out, in] += s · B [out, r] · A [r, in], each sum over r taken in f64. */
export function mergeAdapter(W: Float32Array, adapter: LoadedAdapter, out: number, inFeatures: number): void {
  const { rank: r, scale: s, A, B } = adapter;
  if (W.length !== out * inFeatures || A.length !== r * inFeatures || B.length !== out * r) throw new RangeError(`an adapter of rank ${r} does not fit a [${out}, ${inFeatures}] weight`);
  for (let i = 0; i < out; i++) {
    for (let j = 0; j < inFeatures; j++) {
      let sum = 0;
      for (let p = 0; p < r; p++) sum += B[i * r + p] * A[p * inFeatures + j];
      W[i * inFeatures + j] += s * sum;
    }
  }
}

/** Every adapter merged into the weights (by the model's own weight names), which are changed in place. */
export function mergeAdapters(weights: Map<string, Float32Array>, targets: readonly LinearTarget[], adapters: ReadonlyMap<string, LoadedAdapter>, weightOf: (target: LinearTarget) => string): void {
  for (const t of targets) {
    const adapter = adapters.get(t.name);
    if (!adapter) continue;
    const W = weights.get(weightOf(t));
    if (!W) throw new RangeError(`the model has no weight for ${t.module}`);
    mergeAdapter(W, adapter, t.out, t.in);
  }
}

export interface MergeOptions {
  dtype: ModelDtype;
  /** The base model's tokenizer (and other companion) files, copied. */
  companionFiles: ReadonlyMap<string, Uint8Array>;
  /** The adapter's model card, whose training, results and ranks the merged card keeps; and the base model it names. */
  card?: { adapterCard: string | null; baseModel: string };
}

/**
 * The merged model folder's files: config.json, the weights in `dtype` (sharded above 2 GB), the
 * tokenizer's files and, given the adapter's card, a model card (README.md).
 */
export async function mergedModelFiles(model: AnyOpenedModel, adapters: ReadonlyMap<string, LoadedAdapter>, options: MergeOptions): Promise<Map<string, Uint8Array>> {
  const kind = modelKind(model);
  const weights = await kind.readWeights(model);
  mergeAdapters(weights, model.targets, adapters, kind.weightOf);
  const files = kind.folderFiles(model, weights, options);
  if (options.card) files.set(MODEL_CARD, new TextEncoder().encode(mergedModelCard({ ...options.card, taskType: kind.taskType, dtype: TORCH_DTYPES[options.dtype] })));
  return files;
}
