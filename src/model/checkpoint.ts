// A model's weights as Hugging Face saves them: one `model.safetensors`, or shards listed by
// `model.safetensors.index.json` (`{"metadata": {...}, "weight_map": {tensor: shard file}}`, written
// by transformers' `save_pretrained` past its shard size). Opening reads only the headers; tensors
// are read one at a time.

import type { ModelFiles } from './bytes';
import { readJsonFile } from './bytes';
import type { Dtype } from './dtype';
import { ModelFormatError } from './errors';
import { SafetensorsFile } from './safetensors';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export interface CheckpointTensor {
  name: string;
  /** The safetensors file holding it. */
  file: string;
  dtype: Dtype;
  shape: number[];
}

export class Checkpoint {
  private constructor(
    private readonly shards: Map<string, SafetensorsFile>,
    private readonly where: Map<string, SafetensorsFile>,
    /** The index's `metadata` (e.g. total_size), or the single file's `__metadata__`. */
    readonly metadata: Record<string, unknown>,
  ) {}

  static async open(files: ModelFiles): Promise<Checkpoint> {
    const index = await readJsonFile(files, INDEX_FILE);
    if (index !== null) return Checkpoint.openSharded(files, index);
    const single = await files.open(SINGLE_FILE);
    if (!single) {
      const names = files.list();
      const other = names.find((n) => n.endsWith('.bin') || n.endsWith('.pt') || n.endsWith('.pth') || n.endsWith('.gguf'));
      throw new ModelFormatError(
        SINGLE_FILE,
        other
          ? `not found; only ${other} is present, and only safetensors weights can be loaded (convert them with safetensors' convert script)`
          : `not found, nor ${INDEX_FILE}: the folder holds no safetensors weights`,
      );
    }
    const file = await SafetensorsFile.open(single);
    const where = new Map(file.names().map((name) => [name, file]));
    return new Checkpoint(new Map([[SINGLE_FILE, file]]), where, { ...file.metadata });
  }

  private static async openSharded(files: ModelFiles, index: unknown): Promise<Checkpoint> {
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isObject(index)) throw new ModelFormatError(INDEX_FILE, 'is not a JSON object');
    const weightMap = index.weight_map;
    if (!isObject(weightMap)) throw new ModelFormatError(INDEX_FILE, '"weight_map" is missing or not an object');
    const shards = new Map<string, SafetensorsFile>();
    const where = new Map<string, SafetensorsFile>();
    for (const [tensor, shardName] of Object.entries(weightMap)) {
      if (typeof shardName !== 'string') throw new ModelFormatError(INDEX_FILE, `weight_map["${tensor}"] is not a file name`);
      let shard = shards.get(shardName);
      if (!shard) {
        const source = await files.open(shardName);
        if (!source) throw new ModelFormatError(INDEX_FILE, `names shard ${shardName} (for tensor "${tensor}"), which is not in the folder`);
        shard = await SafetensorsFile.open(source);
        shards.set(shardName, shard);
      }
      if (!shard.has(tensor)) throw new ModelFormatError(shardName, `has no tensor "${tensor}", which ${INDEX_FILE} places there`);
      where.set(tensor, shard);
    }
    const metadata = isObject(index.metadata) ? index.metadata : {};
    return new Checkpoint(shards, where, metadata);
  }

  /** The safetensors files in name order, e.g. `['model-00001-of-00002.safetensors', ...]`. */
  files(): string[] {
    return [...this.shards.keys()].sort();
  }

  /** Every tensor name in the checkpoint. */
  names(): string[] {
    return [...this.where.keys()];
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  /** Where a tensor lives, its dtype and shape; a missing tensor is an error naming it. */
  tensor(name: string): CheckpointTensor {
    const file = this.fileOf(name);
    const { dtype, shape } = file.info(name);
    return { name, file: file.name, dtype, shape: [...shape] };
  }

  /** One float tensor as Float32Array (F16/BF16 widened). */
  readFloats(name: string): Promise<Float32Array> {
    return this.fileOf(name).readFloats(name);
  }

  /** One tensor's stored bytes, as the file holds them (little-endian, its own dtype). */
  readBytes(name: string): Promise<Uint8Array> {
    return this.fileOf(name).readBytes(name);
  }

  /** One tensor: floats as Float32Array, I32 as Int32Array. */
  readTensor(name: string): Promise<Float32Array | Int32Array> {
    return this.fileOf(name).readTensor(name);
  }

  private fileOf(name: string): SafetensorsFile {
    const file = this.where.get(name);
    if (!file) throw new ModelFormatError(this.files().join(', '), `no tensor "${name}" in the checkpoint`);
    return file;
  }
}
