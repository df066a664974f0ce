// The safetensors format (https://github.com/huggingface/safetensors, "Format" section): an 8-byte
// little-endian u64 N, N bytes of UTF-8 JSON header, then the tensor data. Each header entry is
// `{dtype, shape, data_offsets: [begin, end]}` with offsets relative to the start of the data;
// `__metadata__` is an optional string -> string map. The reader loads only the header, validates it
// completely, and then reads one tensor at a time, so a large file is never held whole in memory.

import type { ByteSource } from './bytes';
import { DTYPE_SIZES, decodeFloats, decodeInt32, encodeValues, isDtype, type Dtype } from './dtype';
import { ModelFormatError } from './errors';
import { jsonTooDeepAt, MAX_JSON_DEPTH } from './json';

/** Headers beyond this are refused before anything is allocated (the reference caps them at 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export class SafetensorsFile {
  private constructor(
    readonly source: ByteSource,
    readonly metadata: Record<string, string>,
    private readonly tensors: Map<string, TensorInfo>,
  ) {}

  /** Reads and validates the header; no tensor data is read. */
  static async open(source: ByteSource): Promise<SafetensorsFile> {
    const file = source.name;
    if (source.size < 8) throw new ModelFormatError(file, `is ${source.size} bytes, too short for a safetensors header (truncated?)`);
    const first = await source.read(0, 8);
    const prefix = new DataView(first.buffer, first.byteOffset, 8);
    const high = prefix.getUint32(4, true);
    const headerLength = high * 2 ** 32 + prefix.getUint32(0, true);
    if (headerLength > MAX_HEADER_BYTES) {
      throw new ModelFormatError(file, `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
    }
    if (8 + headerLength > source.size) {
      throw new ModelFormatError(file, `header length ${headerLength} runs past the end of the file (${source.size} bytes; truncated?)`);
    }
    const header = await source.read(8, headerLength);
    const { metadata, tensors } = parseHeader(file, header, source.size - 8 - headerLength);
    for (const info of tensors.values()) {
      info.begin += 8 + headerLength;
      info.end += 8 + headerLength;
    }
    return new SafetensorsFile(source, metadata, tensors);
  }

  get name(): string {
    return this.source.name;
  }

  /** Tensor names in header order. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new ModelFormatError(this.name, `has no tensor "${name}"`);
    return { ...info, shape: [...info.shape] };
  }

  /** The tensor's bytes as stored (little-endian). */
  async readBytes(name: string): Promise<Uint8Array> {
    const info = this.info(name);
    return this.source.read(info.begin, info.end - info.begin);
  }

  /** A float tensor (F32, F16, BF16, F64) as Float32Array, or an I32 tensor as Int32Array. */
  async readTensor(name: string): Promise<Float32Array | Int32Array> {
    const { dtype } = this.info(name);
    if (dtype === 'I32') return decodeInt32(await this.readBytes(name));
    return this.readFloats(name);
  }

  /** A float tensor (F32, F16, BF16, F64) widened or narrowed to Float32Array. */
  async readFloats(name: string): Promise<Float32Array> {
    const { dtype } = this.info(name);
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16' && dtype !== 'F64') {
      throw new ModelFormatError(this.name, `tensor "${name}" has dtype ${dtype}, expected a float type (F32, F16, BF16, F64)`);
    }
    // readBytes returns memory nobody else holds, so F32 data can be used in place.
    return decodeFloats(await this.readBytes(name), dtype, true);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a header: JSON object; known dtypes; shapes of non-negative integers; byte ranges that
 * match the shape, lie inside the data section (`dataBytes` long) and do not overlap.
 * Offsets in the result are relative to the data section.
 */
export function parseHeader(
  file: string,
  header: Uint8Array,
  dataBytes: number,
): { metadata: Record<string, string>; tensors: Map<string, TensorInfo> } {
  let json: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(header);
    // Before parsing: a deeply nested header is slow to parse and overflows the stack when shown.
    const deep = jsonTooDeepAt(text);
    if (deep >= 0) throw new Error(`nested deeper than ${MAX_JSON_DEPTH} levels at character ${deep + 1}`);
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelFormatError(file, `header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(json)) throw new ModelFormatError(file, 'header is not a JSON object');
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isPlainObject(entry)) throw new ModelFormatError(file, '__metadata__ is not an object of strings');
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== 'string') throw new ModelFormatError(file, `__metadata__.${key} is not a string`);
        metadata[key] = value;
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (!isPlainObject(entry)) throw new ModelFormatError(file, `${where}: header entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (!isDtype(dtype)) throw new ModelFormatError(file, `${where}: unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new ModelFormatError(file, `${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      throw new ModelFormatError(file, `${where}: data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = offsets as [number, number];
    const bytes = (shape as number[]).reduce((a, d) => a * d, 1) * DTYPE_SIZES[dtype];
    if (bytes !== end - begin) {
      throw new ModelFormatError(
        file,
        `${where}: shape ${JSON.stringify(shape)} of ${dtype} needs ${bytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    if (end > dataBytes) {
      throw new ModelFormatError(
        file,
        `${where}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataBytes} bytes; truncated file?)`,
      );
    }
    tensors.set(name, { name, dtype, shape: [...(shape as number[])], begin, end });
  }
  // Overlaps: after sorting by start, each non-empty tensor must begin at or after the previous end.
  const ranges = [...tensors.values()].filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < ranges.length; i++) {
    const [previous, current] = [ranges[i - 1], ranges[i]];
    if (current.begin < previous.end) {
      throw new ModelFormatError(
        file,
        `tensor "${current.name}" [${current.begin}, ${current.end}] overlaps tensor "${previous.name}" [${previous.begin}, ${previous.end}]`,
      );
    }
  }
  return { metadata, tensors };
}

export type WritableDtype = 'F32' | 'F16' | 'BF16' | 'I32';

export interface TensorToWrite {
  name: string;
  dtype: WritableDtype;
  shape: number[];
  /** Row-major values; floats are rounded to `dtype`. */
  data: Float32Array | Int32Array | ArrayLike<number>;
}

/**
 * Serialises tensors as the reference implementation does: data ordered by dtype size (largest
 * first, so every tensor is aligned to its element size) and then by name, the header padded with
 * spaces to a multiple of 8 bytes.
 */
export function writeSafetensors(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Uint8Array<ArrayBuffer> {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__' || seen.has(t.name)) throw new Error(`writeSafetensors: duplicate or reserved tensor name "${t.name}"`);
    seen.add(t.name);
    const count = t.shape.reduce((a, d) => a * d, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== t.data.length) {
      throw new Error(`writeSafetensors: tensor "${t.name}" has ${t.data.length} values for shape [${t.shape}]`);
    }
  }
  const ordered = [...tensors].sort(
    (a, b) => DTYPE_SIZES[b.dtype] - DTYPE_SIZES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of ordered) {
    const bytes = encodeValues(t.data, t.dtype);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let at = 8 + headerLength;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
