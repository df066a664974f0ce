// CPU side of the stored weight formats (src/engine/weight-format.ts, docs/weights.md): encoding a
// [rows, cols] f32 matrix into words and scales, the exact values the kernels decode (the reference
// twin of shaders/weights/*.wgsl), and the upload into a PackedWeight.

import type { Gpu } from '../gpu/gpu';
import { f16ToF32, f32ToBf16, f32ToF16 } from '../model/dtype';
import { Q4_BLOCK, Q4_CODEBOOK, dataBytes, scaleBytes, type PackedWeight, type WeightFormat } from './weight-format';

/** Words of a packed weight and its scales: int8 f32 per row, q4 f16 pairs per block, else null. */
export interface PackedArrays {
  data: Uint32Array;
  scales: Uint32Array | Float32Array | null;
}

/** Encodes W [rows, cols] (row-major, f32) in `format`. bf16 and f16 round to nearest even. */
export function packWeight(format: WeightFormat, rows: number, cols: number, values: Float32Array): PackedArrays {
  const n = rows * cols;
  if (values.length !== n) throw new RangeError(`packWeight: ${values.length} values for a ${rows}×${cols} weight`);
  const data = new Uint32Array(dataBytes(format, rows, cols) / 4);
  switch (format) {
    case 'f32':
      data.set(new Uint32Array(values.buffer, values.byteOffset, n));
      return { data, scales: null };
    case 'bf16':
    case 'f16': {
      const narrow = format === 'bf16' ? f32ToBf16 : f32ToF16;
      for (let i = 0; i < n; i++) data[i >> 1] |= narrow(values[i]) << ((i & 1) * 16);
      return { data, scales: null };
    }
    case 'int8':
      return packInt8(rows, cols, values, data);
    case 'q4': {
      const { codes, scales } = quantiseQ4(values, Q4_BLOCK, Q4_CODEBOOK);
      for (let i = 0; i < n; i++) data[i >> 3] |= codes[i] << ((i & 7) * 4);
      const words = new Uint32Array(scaleBytes('q4', rows, cols) / 4);
      for (let b = 0; b < scales.length; b++) words[b >> 1] |= f32ToF16(scales[b]) << ((b & 1) * 16);
      return { data, scales: words };
    }
  }
}

/**
 * Per output channel (row) absmax: scale = max|W[row, :]| / 127 (f32), q = round(w / scale), half
 * away from zero, clamped to ±127, so |w − q·scale| ≤ scale/2. An all-zero row gets scale 0 (every
 * q is 0 and decodes to 0 exactly).
 */
function packInt8(rows: number, cols: number, values: Float32Array, data: Uint32Array): PackedArrays {
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(values[r * cols + c]));
    const scale = Math.fround(max / 127);
    scales[r] = scale;
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const x = scale === 0 ? 0 : values[i] / scale;
      const q = Math.max(-127, Math.min(127, Math.sign(x) * Math.round(Math.abs(x))));
      data[i >> 2] |= (q & 0xff) << ((i & 3) * 8);
    }
  }
  return { data, scales };
}

/**
 * q4 codes over flat row-major blocks of `block` elements: scale = the block's absmax (rounded to the
 * f16 it is stored as), code = the codebook entry nearest to w / scale. `codebook` is ascending.
 * Exported with its parameters for scripts/q4-error.ts, which chose Q4_BLOCK and Q4_CODEBOOK.
 */
export function quantiseQ4(values: Float32Array, block: number, codebook: Float32Array): { codes: Uint8Array; scales: Float32Array } {
  const n = values.length;
  const codes = new Uint8Array(n);
  const scales = new Float32Array(Math.ceil(n / block));
  const zero = nearestCode(codebook, 0);
  // Midpoints between neighbouring entries: the code of x is how many midpoints lie below it.
  const mids = Array.from({ length: 15 }, (_, i) => (codebook[i] + codebook[i + 1]) / 2);
  for (let b = 0; b < scales.length; b++) {
    const end = Math.min(n, (b + 1) * block);
    let max = 0;
    for (let i = b * block; i < end; i++) max = Math.max(max, Math.abs(values[i]));
    const scale = f16ToF32(f32ToF16(max));
    scales[b] = scale;
    for (let i = b * block; i < end; i++) {
      if (scale === 0) {
        codes[i] = zero;
        continue;
      }
      const x = values[i] / scale;
      let q = 0;
      while (q < 15 && x > mids[q]) q++;
      codes[i] = q;
    }
  }
  return { codes, scales };
}

/** The values quantiseQ4 stands for: codebook[code] · scale, in f32 as the kernels compute it. */
export function dequantiseQ4(codes: Uint8Array, scales: Float32Array, block: number, codebook: Float32Array): Float32Array {
  return Float32Array.from(codes, (q, i) => codebook[q] * scales[Math.floor(i / block)]);
}

function nearestCode(codebook: Float32Array, x: number): number {
  let best = 0;
  for (let q = 1; q < codebook.length; q++) if (Math.abs(codebook[q] - x) < Math.abs(codebook[best] - x)) best = q;
  return best;
}

/** A checkpoint's raw little-endian bf16 or f16 bytes as words, zero-padded, unconverted. */
export function packHalfBytes(bytes: Uint8Array): Uint32Array {
  const words = new Uint32Array(Math.ceil(bytes.byteLength / 4));
  new Uint8Array(words.buffer).set(bytes);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    // A big-endian host would read the file's little-endian words backwards.
    const view = new DataView(words.buffer);
    for (let i = 0; i < words.length; i++) words[i] = view.getUint32(4 * i, true);
  }
  return words;
}

/** The exact values a packed weight decodes to (what every kernel multiplies by). */
export function unpackWeight(format: WeightFormat, rows: number, cols: number, packed: PackedArrays): Float32Array {
  const n = rows * cols;
  const { data, scales } = packed;
  const out = new Float32Array(n);
  switch (format) {
    case 'f32':
      out.set(new Float32Array(data.buffer, data.byteOffset, n));
      break;
    case 'bf16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = ((data[i >> 1] >>> ((i & 1) * 16)) & 0xffff) << 16;
      break;
    }
    case 'f16':
      for (let i = 0; i < n; i++) out[i] = f16ToF32((data[i >> 1] >>> ((i & 1) * 16)) & 0xffff);
      break;
    case 'int8': {
      const s = requireScales(format, scales, Float32Array);
      for (let i = 0; i < n; i++) out[i] = ((data[i >> 2] >>> ((i & 3) * 8)) << 24 >> 24) * s[Math.floor(i / cols)];
      break;
    }
    case 'q4': {
      const s = requireScales(format, scales, Uint32Array);
      for (let i = 0; i < n; i++) {
        const b = Math.floor(i / Q4_BLOCK);
        const scale = f16ToF32((s[b >> 1] >>> ((b & 1) * 16)) & 0xffff);
        out[i] = Q4_CODEBOOK[(data[i >> 3] >>> ((i & 7) * 4)) & 15] * scale;
      }
      break;
    }
  }
  return out;
}

function requireScales<T extends Float32Array | Uint32Array>(format: WeightFormat, scales: PackedArrays['scales'], kind: { new (n: number): T }): T {
  if (!(scales instanceof kind)) throw new TypeError(`unpackWeight: ${format} needs its scales as ${kind.name}`);
  return scales as T;
}

/** Uploads packed words (and scales) as a PackedWeight; buffers are labelled `label` and `label scales`. */
export function uploadPackedWeight(gpu: Gpu, label: string, format: WeightFormat, rows: number, cols: number, packed: PackedArrays): PackedWeight {
  const want = dataBytes(format, rows, cols);
  if (packed.data.byteLength !== want) throw new RangeError(`uploadPackedWeight: "${label}" has ${packed.data.byteLength} bytes of ${format} data, a ${rows}×${cols} weight needs ${want}`);
  const wantScales = scaleBytes(format, rows, cols);
  if ((packed.scales?.byteLength ?? 0) !== wantScales) throw new RangeError(`uploadPackedWeight: "${label}" has ${packed.scales?.byteLength ?? 0} bytes of scales, ${format} ${rows}×${cols} needs ${wantScales}`);
  return {
    format,
    rows,
    cols,
    data: gpu.upload(label, packed.data),
    scales: packed.scales ? gpu.upload(`${label} scales`, packed.scales) : null,
  };
}
