// The GPU buffers a model's weights take, by weight-map key, before any is read: the loader allocates
// exactly these, and the memory plan (src/train/memory-estimate.ts) allocates them on a counting GPU.
//   - the linear weights of the blocks (`layers.{i}.{attn.q|…|mlp.down|…}.weight`, [out, in]) in the
//     stored format (./weight-format.ts): storedBytes(format, out, in), data and scales together;
//   - everything else (embeddings, norms, biases, lm_head) in f32, a vocabulary tensor above the
//     binding limit as its row chunks (./row-chunks.ts), any other tensor above it refused.

import type { WeightEntry } from '../model/spec';
import { chunkName, planRowChunks, ROW_SPLIT_TENSORS } from './row-chunks';
import { storedBytes, type WeightFormat } from './weight-format';

export interface PlannedWeight {
  /** The weight-map key: the canonical name, or a chunk's (`embed[1]`). */
  name: string;
  bytes: number;
}

const BLOCK_LINEAR_WEIGHT = /^layers\.\d+\.(attn|mlp)\.[a-z]+\.weight$/;

/** Whether a canonical weight name is a block's linear weight (the tensors a weight format applies to). */
export function isBlockLinearWeight(name: string): boolean {
  return BLOCK_LINEAR_WEIGHT.test(name);
}

export function weightPlan(entries: readonly WeightEntry[], format: WeightFormat, bindingLimit: number): PlannedWeight[] {
  const plan: PlannedWeight[] = [];
  for (const entry of entries) {
    const { name, shape } = entry;
    if (isBlockLinearWeight(name)) {
      const bytes = storedBytes(format, shape[0], shape[1]);
      if (bytes > bindingLimit) throw new RangeError(`${entry.hfName} needs ${bytes} bytes in ${format}, above this GPU's largest storage binding (${bindingLimit} bytes)`);
      plan.push({ name, bytes });
      continue;
    }
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    if (bytes <= bindingLimit) plan.push({ name, bytes });
    else if (ROW_SPLIT_TENSORS.has(name) && shape.length === 2) {
      planRowChunks(entry.hfName, shape[0], shape[1], bindingLimit).forEach((rows, index) => plan.push({ name: chunkName(name, index), bytes: rows * shape[1] * 4 }));
    } else throw new RangeError(`${entry.hfName} needs ${bytes} bytes in f32, above this GPU's largest storage binding (${bindingLimit} bytes)`);
  }
  return plan;
}
