// Streams a checkpoint's weights to GPU buffers one tensor at a time, so no more than one tensor is
// ever held in JS memory. A vocabulary tensor larger than one storage binding arrives as row chunks
// (./row-chunks.ts); any other tensor that large is refused before anything is read.

import type { Gpu } from '../gpu/gpu';
import type { OpenedModel } from '../model/load';
import { readWeights } from '../model/weights';
import { ROW_SPLIT_TENSORS, uploadWeight } from './row-chunks';

export interface LoadProgress {
  tensors: number;
  totalTensors: number;
  bytes: number;
  totalBytes: number;
  name: string;
}

export async function uploadWeights(gpu: Gpu, model: OpenedModel, onProgress?: (p: LoadProgress) => void): Promise<Map<string, GPUBuffer>> {
  const limit = gpu.bindingLimitBytes;
  const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1) * 4;
  for (const entry of model.entries) {
    if (sizeOf(entry.shape) > limit && !ROW_SPLIT_TENSORS.has(entry.name)) {
      throw new RangeError(
        `${entry.hfName} needs ${sizeOf(entry.shape)} bytes in f32, above this GPU's largest storage binding (${limit} bytes)`,
      );
    }
  }
  const totalBytes = model.entries.reduce((sum, e) => sum + sizeOf(e.shape), 0);
  const weights = new Map<string, GPUBuffer>();
  let bytes = 0;
  let tensors = 0;
  try {
    for await (const { entry, data } of readWeights(model.checkpoint, model.entries)) {
      uploadWeight(gpu, weights, entry.name, entry.shape, data, entry.hfName);
      bytes += data.byteLength;
      tensors += 1;
      onProgress?.({ tensors, totalTensors: model.entries.length, bytes, totalBytes, name: entry.hfName });
    }
  } catch (error) {
    for (const buffer of weights.values()) buffer.destroy();
    throw error;
  }
  return weights;
}
