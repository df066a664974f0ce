// Random access to a model's files without holding them whole in memory: a 1 GB checkpoint is read
// one header and one tensor at a time. The Node implementations live in ./node-files.ts so browser
// bundles never import `node:fs`.

import { ModelFormatError } from './errors';
import { jsonTooDeepAt, MAX_JSON_DEPTH } from './json';

/** A file that can be read in pieces. */
export interface ByteSource {
  name: string;
  size: number;
  /** Bytes [offset, offset + length), in a fresh array the caller owns; a read past the end throws. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** The files of one model folder (config.json, *.safetensors, tokenizer.json...). */
export interface ModelFiles {
  /** File names relative to the model folder, e.g. `config.json`, `model-00001-of-00002.safetensors`. */
  list(): string[];
  /** The file, or null when the folder has no such file. */
  open(name: string): Promise<ByteSource | null>;
}

/** Refuses a read outside [0, size): the file is shorter than its header says. */
export function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`${name}: invalid read of ${length} bytes at offset ${offset}`);
  }
  if (offset + length > size) {
    throw new ModelFormatError(name, `needs bytes up to ${offset + length} but the file has ${size} (truncated?)`);
  }
}

/** An in-memory file. */
export function memorySource(name: string, data: Uint8Array): ByteSource {
  return {
    name,
    size: data.byteLength,
    async read(offset, length) {
      checkRange(name, data.byteLength, offset, length);
      return data.slice(offset, offset + length);
    },
  };
}

/** A browser Blob or File; only the requested slice is loaded. */
export function blobSource(blob: Blob, name = blob instanceof File ? blob.name : 'blob'): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      checkRange(name, blob.size, offset, length);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/** A model folder held in memory (tests, downloads). */
export function memoryFiles(files: Map<string, Uint8Array> | Record<string, Uint8Array>): ModelFiles {
  const map = files instanceof Map ? files : new Map(Object.entries(files));
  return {
    list: () => [...map.keys()].sort(),
    open: async (name) => {
      const data = map.get(name);
      return data ? memorySource(name, data) : null;
    },
  };
}

/**
 * Files the user picked in the browser: a FileList from `<input type="file" multiple>`, or one from
 * `<input webkitdirectory>` whose paths start with the chosen folder's name, which is dropped so that
 * `SmolLM2/config.json` is found as `config.json`.
 */
export function browserFiles(files: FileList | readonly File[]): ModelFiles {
  const all = Array.from(files);
  const relative = (file: File): string => {
    const path = file.webkitRelativePath || file.name;
    const slash = path.indexOf('/');
    return file.webkitRelativePath && slash >= 0 ? path.slice(slash + 1) : path;
  };
  const map = new Map<string, File>();
  for (const file of all) {
    const name = relative(file);
    if (map.has(name)) throw new ModelFormatError(name, 'picked twice; choose one model folder');
    map.set(name, file);
  }
  return {
    list: () => [...map.keys()].sort(),
    open: async (name) => {
      const file = map.get(name);
      return file ? blobSource(file, name) : null;
    },
  };
}

/**
 * Text files of a model folder (config, tokenizer, index, chat template) are read whole; the largest
 * real ones are tens of MB. A file over this is refused before its size is allocated.
 */
export const MAX_TEXT_BYTES = 100_000_000;

/** Reads a whole (small) file as UTF-8 text; invalid UTF-8 is an error. */
export async function readText(source: ByteSource): Promise<string> {
  if (source.size > MAX_TEXT_BYTES) {
    throw new ModelFormatError(source.name, `is ${source.size} bytes, over the ${MAX_TEXT_BYTES}-byte limit for a text file (the wrong file?)`);
  }
  const bytes = await source.read(0, source.size);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ModelFormatError(source.name, 'is not valid UTF-8 text');
  }
}

/** Parses a JSON file of the model folder; null when the file is absent. */
export async function readJsonFile(files: ModelFiles, name: string): Promise<unknown> {
  const source = await files.open(name);
  if (!source) return null;
  const text = await readText(source);
  try {
    // Before parsing: a deeply nested file is slow to parse and overflows recursive consumers.
    const deep = jsonTooDeepAt(text);
    if (deep >= 0) throw new Error(`nested deeper than ${MAX_JSON_DEPTH} levels at character ${deep + 1}`);
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ModelFormatError(name, `is not valid JSON (${(error as Error).message})`);
  }
}
