// Element types of safetensors files and the float conversions between them. Half floats follow
// IEEE 754 binary16; bfloat16 is the top half of a binary32, rounded to nearest even when narrowing
// (what torch's `.to(torch.bfloat16)` does).

/** Every dtype the safetensors specification names, with its size in bytes. */
export const DTYPE_SIZES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

export type Dtype = keyof typeof DTYPE_SIZES;

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.hasOwn(DTYPE_SIZES, value);
}

// One scratch word reinterpreted as f32 and u32, so conversions need no allocation.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** binary16 bits -> number. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** number -> binary16 bits, rounding to nearest even (overflow goes to infinity, as in torch). */
export function f32ToF16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // NaN stays NaN (quiet)
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the mantissa, with its implicit 1, into place.
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** bfloat16 bits -> number. */
export function bf16ToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** number -> bfloat16 bits, rounding to nearest even; NaN stays a quiet NaN. */
export function f32ToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes little-endian float bytes of `dtype` (F32, F16, BF16, F64) into a Float32Array. With
 * `reuse`, aligned F32 bytes are returned as a view of the same memory instead of a copy (for bytes
 * the caller owns, such as a fresh tensor read, so a large embedding is not held twice).
 */
export function decodeFloats(bytes: Uint8Array, dtype: 'F32' | 'F16' | 'BF16' | 'F64', reuse = false): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / DTYPE_SIZES[dtype];
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
      const floats = new Float32Array(bytes.buffer, bytes.byteOffset, n);
      return reuse ? floats : floats.slice();
    }
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  const out = new Float32Array(n);
  if (dtype === 'F64') for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
  else if (dtype === 'BF16') {
    // Widening bf16 is a 16-bit shift into an f32's bit pattern.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
  } else for (let i = 0; i < n; i++) out[i] = f16ToF32(view.getUint16(2 * i, true));
  return out;
}

/** Decodes little-endian I32 bytes into a fresh Int32Array. */
export function decodeInt32(bytes: Uint8Array): Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(4 * i, true);
  return out;
}

/** Encodes numbers as little-endian bytes of `dtype` (F32, F16, BF16 or I32). */
export function encodeValues(values: ArrayLike<number>, dtype: 'F32' | 'F16' | 'BF16' | 'I32'): Uint8Array {
  const bytes = new Uint8Array(values.length * DTYPE_SIZES[dtype]);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'F32') view.setFloat32(4 * i, values[i], true);
    else if (dtype === 'I32') view.setInt32(4 * i, values[i], true);
    else if (dtype === 'F16') view.setUint16(2 * i, f32ToF16(values[i]), true);
    else view.setUint16(2 * i, f32ToBf16(values[i]), true);
  }
  return bytes;
}
