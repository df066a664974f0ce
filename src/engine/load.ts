// Streams a checkpoint's weights to the GPU one tensor at a time, converted or quantised on the way,
// so JavaScript memory holds at most one tensor (and its f32 form) at once. Frozen linear weights are
// stored in the run's format (./weight-format.ts): a BF16 or F16 checkpoint's own bytes go up
// unchanged when the format matches; anything else is decoded to f32 and packed. The embedding, the
// LM head, norms and biases stay f32, and a vocabulary tensor larger than one storage binding arrives
// as row chunks (./row-chunks.ts); any other tensor that large is refused before anything is read.
// What it allocates is ./weight-plan.ts, which the memory plan counts.

import type { Gpu } from '../gpu/gpu';
import { DTYPE_SIZES } from '../model/dtype';
import type { OpenedModel } from '../model/load';
import { checkShapes, transpose } from '../model/weights';
import type { WeightEntry } from '../model/spec';
import { uploadWeight } from './row-chunks';
import type { PackedWeight, WeightFormat } from './weight-format';
import { isBlockLinearWeight, weightPlan } from './weight-plan';
import { packHalfBytes, packWeight, uploadPackedWeight } from './pack-weights';

export interface LoadProgress {
  tensors: number;
  totalTensors: number;
  /** Checkpoint bytes read so far and in all. */
  bytes: number;
  totalBytes: number;
  name: string;
}

export interface LoadedWeights {
  /** f32 weights by canonical name (vocabulary tensors above the binding limit as row chunks). */
  buffers: Map<string, GPUBuffer>;
  /** Frozen linear weights stored in `format` (empty for f32), by canonical name (`layers.0.attn.q.weight`). */
  packed: Map<string, PackedWeight>;
  format: WeightFormat;
}

/** Frees every buffer of loaded weights. */
export function destroyWeights(weights: LoadedWeights): void {
  for (const buffer of weights.buffers.values()) buffer.destroy();
  for (const w of weights.packed.values()) {
    w.data.destroy();
    w.scales?.destroy();
  }
}

export async function loadWeights(gpu: Gpu, model: OpenedModel, format: WeightFormat, onProgress?: (p: LoadProgress) => void): Promise<LoadedWeights> {
  checkShapes(model.checkpoint, model.entries);
  // The buffers the memory plan counted: a tensor this GPU cannot bind is refused before any is read.
  weightPlan(model.entries, format, gpu.bindingLimitBytes);
  const packs = (e: WeightEntry) => format !== 'f32' && isBlockLinearWeight(e.name);
  const storedSize = (e: WeightEntry) => {
    const t = model.checkpoint.tensor(e.hfName);
    return t.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZES[t.dtype];
  };
  const totalBytes = model.entries.reduce((sum, e) => sum + storedSize(e), 0);
  const loaded: LoadedWeights = { buffers: new Map(), packed: new Map(), format };
  let bytes = 0;
  let tensors = 0;
  try {
    for (const e of model.entries) {
      if (packs(e)) loaded.packed.set(e.name, await readPacked(gpu, model, e, format));
      else {
        const stored = await model.checkpoint.readFloats(e.hfName);
        const data = e.transposed ? transpose(stored, e.shape[1], e.shape[0]) : stored;
        uploadWeight(gpu, loaded.buffers, e.name, e.shape, data, e.hfName);
      }
      bytes += storedSize(e);
      tensors += 1;
      onProgress?.({ tensors, totalTensors: model.entries.length, bytes, totalBytes, name: e.hfName });
    }
  } catch (error) {
    destroyWeights(loaded);
    throw error;
  }
  return loaded;
}

/** One frozen linear weight [out, in] in `format`: its own 16-bit bytes when they match, else packed from f32. */
async function readPacked(gpu: Gpu, model: OpenedModel, e: WeightEntry, format: WeightFormat): Promise<PackedWeight> {
  const [rows, cols] = e.shape;
  const dtype = model.checkpoint.tensor(e.hfName).dtype;
  const sameHalf = !e.transposed && ((format === 'bf16' && dtype === 'BF16') || (format === 'f16' && dtype === 'F16'));
  if (sameHalf) {
    const words = packHalfBytes(await model.checkpoint.readBytes(e.hfName));
    return uploadPackedWeight(gpu, e.name, format, rows, cols, { data: words, scales: null });
  }
  const stored = await model.checkpoint.readFloats(e.hfName);
  const values = e.transposed ? transpose(stored, cols, rows) : stored;
  return uploadPackedWeight(gpu, e.name, format, rows, cols, packWeight(format, rows, cols, values));
}

/** Every weight in f32 (tests, tools and full training): the f32 buffers of loadWeights. */
export async function uploadWeights(gpu: Gpu, model: OpenedModel, onProgress?: (p: LoadProgress) => void): Promise<Map<string, GPUBuffer>> {
  return (await loadWeights(gpu, model, 'f32', onProgress)).buffers;
}
