// How a frozen linear weight W [rows, cols] is stored on the GPU (docs/weights.md). Adapters,
// activations, gradients and optimizer state are always f32; only frozen linear weights may be
// stored narrower, and every kernel that reads W decodes it in place (no f32 copy of W exists).
//
//   f32   one float per u32 word
//   bf16  two bfloat16 per word, element 2i in the low half (the checkpoint's own bytes, unchanged)
//   f16   two IEEE binary16 per word, element 2i in the low half
//   int8  four signed bytes per word (element 4i in the low byte), w = q · scale[row],
//         scale[row] = max|W[row, :]| / 127 (per output channel, absmax), scales as f32
//   q4    eight 4-bit codes per word (element 8i in the low nibble), w = CODEBOOK[q] · scale[block],
//         blocks of Q4_BLOCK consecutive elements in row-major order, scale = block absmax, scales as
//         f16 (two per word)
//
// Elements are indexed in row-major order over the whole matrix, so a format never needs cols to be
// a multiple of anything; buffers are padded to whole words.

import { nf4Codebook } from './q4-codebook';

export type WeightFormat = 'f32' | 'bf16' | 'f16' | 'int8' | 'q4';

export const WEIGHT_FORMATS: readonly WeightFormat[] = ['f32', 'bf16', 'f16', 'int8', 'q4'];

/** Formats that only approximate W (they cannot hold a W that a method rewrites or trains). */
export function isQuantised(format: WeightFormat): boolean {
  return format === 'int8' || format === 'q4';
}

/** Elements per q4 scale block (chosen by measured error: docs/weights.md). */
export const Q4_BLOCK = 64;

/**
 * The value of each 4-bit code in units of the block's absmax: NF4, QLoRA's NormalFloat
 * (src/engine/q4-codebook.ts), chosen over uniform int4 by measured error (docs/weights.md).
 */
export const Q4_CODEBOOK: Float32Array = nf4Codebook();

/** A frozen weight on the GPU in a stored format. */
export interface PackedWeight {
  format: WeightFormat;
  rows: number;
  cols: number;
  /** The values, packed into u32 words as above (f32: the floats themselves). */
  data: GPUBuffer;
  /** int8: [rows] f32; q4: [ceil(rows·cols / Q4_BLOCK)] f16 packed in pairs; otherwise null. */
  scales: GPUBuffer | null;
}

const words = (bytes: number) => Math.ceil(bytes / 4);

/** Bytes of the data buffer of a [rows, cols] weight in `format` (whole u32 words). */
export function dataBytes(format: WeightFormat, rows: number, cols: number): number {
  const n = rows * cols;
  const bytesPerElement = { f32: 4, bf16: 2, f16: 2, int8: 1, q4: 0.5 }[format];
  return 4 * words(n * bytesPerElement);
}

/** Bytes of the scales buffer (0 when the format has none). */
export function scaleBytes(format: WeightFormat, rows: number, cols: number): number {
  if (format === 'int8') return 4 * rows;
  if (format === 'q4') return 4 * words(2 * Math.ceil((rows * cols) / Q4_BLOCK));
  return 0;
}

/** All GPU bytes of one stored weight. */
export function storedBytes(format: WeightFormat, rows: number, cols: number): number {
  return dataBytes(format, rows, cols) + scaleBytes(format, rows, cols);
}
