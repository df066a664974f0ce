// Weights larger than one storage binding, split by rows into separate buffers.
//
// A kernel can bind at most maxStorageBufferBindingSize bytes of one buffer (often 128 MiB on real
// GPUs), and a buffer can be at most maxBufferSize. The vocabulary-sized tensors — the token
// embedding [V, C] and an untied lm_head [V, C] — pass that on common models (GPT-2's embedding is
// 50257 × 768 × 4 = 154 MB), while every other tensor of the models this engine runs stays far
// below it. Those two are split into row ranges ("chunks") of at most the limit each, each chunk its
// own buffer: separate buffers need no offset alignment (minStorageBufferOffsetAlignment) and keep
// every chunk under maxBufferSize too. Rows are whole: a chunk holds floor(limit / (C · 4)) rows, the
// last one the remainder.
//
// In the engine's weight map a split tensor appears as its chunks, `embed[0]`, `embed[1]`, … in row
// order; an unsplit tensor keeps its plain name. Everything that treats weights one buffer at a time
// (full training's optimizer groups and gradients) therefore works per chunk unchanged; what needs
// the whole tensor (export, checkpoints) joins the chunks (joinRowChunks) or splits a whole tensor
// into the model's layout (splitLike).

import type { Allocator } from '../gpu/gpu';

/** The tensors the engine reads in row chunks (src/engine/vocab-chunks.ts); any other must fit one binding. */
export const ROW_SPLIT_TENSORS: ReadonlySet<string> = new Set(['embed', 'lm_head']);

/** One row range of a weight: rows lo .. lo + rows of the whole tensor. */
export interface RowChunk {
  name: string;
  buffer: GPUBuffer;
  lo: number;
  rows: number;
}

export function chunkName(name: string, index: number): string {
  return `${name}[${index}]`;
}

const CHUNK = /^(.+)\[(\d+)\]$/;

/** The canonical tensor name and chunk index of a weight-map key (index null: not a chunk). */
export function parseChunkName(key: string): { name: string; index: number | null } {
  const match = CHUNK.exec(key);
  return match ? { name: match[1], index: Number(match[2]) } : { name: key, index: null };
}

/** The row count of each chunk of a [rows, cols] f32 tensor under a binding limit of limitBytes. */
export function planRowChunks(name: string, rows: number, cols: number, limitBytes: number): number[] {
  const rowBytes = cols * 4;
  const perChunk = Math.floor(limitBytes / rowBytes);
  if (perChunk < 1) throw new RangeError(`${name}: one row of ${cols} floats needs ${rowBytes} bytes, above this GPU's ${limitBytes}-byte storage binding limit`);
  const sizes: number[] = [];
  for (let lo = 0; lo < rows; lo += perChunk) sizes.push(Math.min(perChunk, rows - lo));
  return sizes;
}

/**
 * Uploads one weight [rows, cols] into `into`: whole when it fits one binding, else (a vocabulary
 * tensor) as row chunks. Any other tensor above the limit is refused, naming it, its size and the limit.
 */
export function uploadWeight(gpu: Allocator, into: Map<string, GPUBuffer>, name: string, shape: readonly number[], data: Float32Array, label = name): void {
  const limit = gpu.bindingLimitBytes;
  if (data.byteLength <= limit) {
    into.set(name, gpu.upload(name, data));
    return;
  }
  if (!ROW_SPLIT_TENSORS.has(name) || shape.length !== 2) {
    throw new RangeError(`${label} needs ${data.byteLength} bytes in f32, above this GPU's largest storage binding (${limit} bytes)`);
  }
  const cols = shape[1];
  let lo = 0;
  planRowChunks(label, shape[0], cols, limit).forEach((rows, index) => {
    const key = chunkName(name, index);
    into.set(key, gpu.upload(key, data.subarray(lo * cols, (lo + rows) * cols)));
    lo += rows;
  });
}

/** A whole map of weights (name → [rows, cols] data), uploaded as uploadWeight does each. */
export function uploadWeightMap(gpu: Allocator, weights: ReadonlyMap<string, Float32Array>, cols: (name: string) => number): Map<string, GPUBuffer> {
  const out = new Map<string, GPUBuffer>();
  try {
    for (const [name, data] of weights) {
      const c = cols(name);
      uploadWeight(gpu, out, name, [data.length / c, c], data);
    }
  } catch (error) {
    for (const buffer of out.values()) buffer.destroy();
    throw error;
  }
  return out;
}

/** The row chunks of weight `name` [rows, cols] in row order: one when it is not split. */
export function rowChunks(weights: ReadonlyMap<string, GPUBuffer>, name: string, cols: number): RowChunk[] {
  const whole = weights.get(name);
  if (whole) return [{ name, buffer: whole, lo: 0, rows: whole.size / 4 / cols }];
  const chunks: RowChunk[] = [];
  let lo = 0;
  for (let index = 0; ; index++) {
    const key = chunkName(name, index);
    const buffer = weights.get(key);
    if (!buffer) break;
    const rows = buffer.size / 4 / cols;
    chunks.push({ name: key, buffer, lo, rows });
    lo += rows;
  }
  if (chunks.length === 0) throw new Error(`the model has no weight "${name}"`);
  return chunks;
}

/** Weights by map key (chunks included) → weights by canonical name, chunks concatenated in row order. */
export function joinRowChunks(weights: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  const parts = new Map<string, Float32Array[]>();
  const out = new Map<string, Float32Array>();
  for (const [key, data] of weights) {
    const { name, index } = parseChunkName(key);
    if (index === null) out.set(name, data);
    else {
      const list = parts.get(name) ?? [];
      list[index] = data;
      parts.set(name, list);
    }
  }
  for (const [name, list] of parts) {
    const whole = new Float32Array(list.reduce((sum, part) => sum + (part?.length ?? 0), 0));
    let offset = 0;
    for (let index = 0; index < list.length; index++) {
      const part = list[index];
      if (!part) throw new RangeError(`weight ${name} is missing its chunk ${index}`);
      whole.set(part, offset);
      offset += part.length;
    }
    out.set(name, whole);
  }
  return out;
}

/**
 * Whole tensors by canonical name → views of them keyed as `layout` (a model's weight map) keys its
 * buffers. A tensor whose size differs from its chunks' total is left out, for the caller to report.
 */
export function splitLike(layout: ReadonlyMap<string, GPUBuffer>, tensors: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const totals = new Map<string, number>();
  for (const [key, buffer] of layout) {
    const { name } = parseChunkName(key);
    totals.set(name, (totals.get(name) ?? 0) + buffer.size / 4);
  }
  const offsets = new Map<string, number>();
  const keys = [...layout.keys()].sort((a, b) => (parseChunkName(a).index ?? 0) - (parseChunkName(b).index ?? 0));
  for (const key of keys) {
    const { name } = parseChunkName(key);
    const whole = tensors.get(name);
    if (!whole || whole.length !== totals.get(name)) continue;
    const offset = offsets.get(name) ?? 0;
    const size = layout.get(key)!.size / 4;
    out.set(key, whole.subarray(offset, offset + size));
    offsets.set(name, offset + size);
  }
  return out;
}
