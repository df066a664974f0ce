// Models from the Hugging Face hub (or any server with its URL layout):
//   <hub>/<model id>/resolve/main/<file>
// Files are cached in the Origin Private File System, so a second load reads no network. Works in a
// page and in a Web Worker.

import { ModelFormatError } from './errors';
import { blobSource, type ModelFiles } from './bytes';

export const DEFAULT_HUB = 'https://huggingface.co';
const CACHE_DIR = 'hub-cache';
const REQUIRED = ['config.json'];
const OPTIONAL = ['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja'];

export interface HubProgress {
  file: string;
  /** Bytes of all files so far, and the total when known. */
  bytes: number;
  totalBytes: number | null;
  fromCache: boolean;
}

/** `HuggingFaceTB/SmolLM2-135M`, or a full `https://huggingface.co/<id>` URL, to a model id. */
export function parseModelId(input: string, hub = DEFAULT_HUB): string {
  let id = input.trim();
  for (const prefix of [hub.replace(/\/+$/, '') + '/', 'https://huggingface.co/', 'hf.co/']) {
    if (id.startsWith(prefix)) id = id.slice(prefix.length);
  }
  id = id.replace(/\/(tree|resolve|blob)\/.*$/, '').replace(/\/+$/, '');
  if (!/^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(id) || id.includes('..')) {
    throw new ModelFormatError(input, 'is not a Hugging Face model id (like "HuggingFaceTB/SmolLM2-135M") or model URL');
  }
  return id;
}

export function fileUrl(hub: string, id: string, file: string): string {
  return `${hub.replace(/\/+$/, '')}/${id}/resolve/main/${file}`;
}

/** Downloads (or reads from the cache) every file a model needs, and returns them as ModelFiles. */
export async function openHubModel(hub: string, id: string, onProgress?: (p: HubProgress) => void): Promise<ModelFiles> {
  const dir = await cacheDirectory(id);
  const files = new Map<string, File>();
  let bytes = 0;
  const get = async (name: string, required: boolean): Promise<File | null> => {
    const file = await cachedOrDownloaded(dir, hub, id, name, required, (done, total, fromCache) => {
      onProgress?.({ file: name, bytes: bytes + done, totalBytes: total === null ? null : bytes + total, fromCache });
    });
    if (file) {
      files.set(name, file);
      bytes += file.size;
    }
    return file;
  };
  for (const name of REQUIRED) await get(name, true);
  for (const name of OPTIONAL) await get(name, false);
  const index = await get('model.safetensors.index.json', false);
  if (index) {
    let map: { weight_map?: Record<string, string> };
    try {
      map = JSON.parse(await index.text());
    } catch (error) {
      throw new ModelFormatError('model.safetensors.index.json', `is not valid JSON (${(error as Error).message})`);
    }
    if (typeof map !== 'object' || map === null || typeof map.weight_map !== 'object' || map.weight_map === null) {
      throw new ModelFormatError('model.safetensors.index.json', 'has no weight_map');
    }
    const shards = [...new Set(Object.values(map.weight_map ?? {}))].sort();
    if (shards.length === 0) throw new ModelFormatError('model.safetensors.index.json', 'lists no shards');
    for (const shard of shards) await get(shard, true);
  } else await get('model.safetensors', true);
  return {
    list: () => [...files.keys()].sort(),
    open: async (name) => {
      const file = files.get(name);
      return file ? blobSource(file, name) : null;
    },
  };
}

/** Removes every cached hub file. */
export async function clearHubCache(): Promise<void> {
  const root = await navigator.storage.getDirectory();
  await root.removeEntry(CACHE_DIR, { recursive: true }).catch((error: DOMException) => {
    if (error.name !== 'NotFoundError') throw error;
  });
}

async function cacheDirectory(id: string): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  let dir = await root.getDirectoryHandle(CACHE_DIR, { create: true });
  for (const part of id.split('/')) dir = await dir.getDirectoryHandle(part, { create: true });
  return dir;
}

async function cachedOrDownloaded(
  dir: FileSystemDirectoryHandle,
  hub: string,
  id: string,
  name: string,
  required: boolean,
  onBytes: (done: number, total: number | null, fromCache: boolean) => void,
): Promise<File | null> {
  const cached = await dir.getFileHandle(name).then((h) => h.getFile(), () => null);
  if (cached) {
    onBytes(cached.size, cached.size, true);
    return cached;
  }
  // An optional file the hub does not have is remembered too, so a cached load asks nothing.
  const knownMissing = await dir.getFileHandle(`${name}.missing`).then(() => true, () => false);
  if (knownMissing && !required) return null;
  const url = fileUrl(hub, id, name);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ModelFormatError(name, `could not be downloaded from ${url}: ${(error as Error).message} (offline, or blocked by the hub address?)`);
  }
  if (response.status === 404 && !required) {
    await dir.getFileHandle(`${name}.missing`, { create: true });
    return null;
  }
  if (!response.ok || !response.body) {
    const hint = response.status === 401 || response.status === 403 ? ' (a gated or private model needs an access token, which this app does not use)' : '';
    throw new ModelFormatError(name, `download failed: ${url} answered ${response.status} ${response.statusText}${hint}`);
  }
  const total = Number(response.headers.get('content-length')) || null;
  // Written to a temporary name and renamed when complete, so an interrupted download is never
  // mistaken for a cached file.
  const partial = await dir.getFileHandle(`${name}.partial`, { create: true });
  const writable = await partial.createWritable();
  const reader = response.body.getReader();
  let done = 0;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      await writable.write(chunk.value);
      done += chunk.value.byteLength;
      onBytes(done, total, false);
    }
    await writable.close();
  } catch (error) {
    await writable.abort().catch(() => {});
    throw new ModelFormatError(name, `download from ${url} was interrupted: ${(error as Error).message}`);
  }
  const movable = partial as FileSystemFileHandle & { move?: (name: string) => Promise<void> };
  if (movable.move) {
    await movable.move(name);
    return (await dir.getFileHandle(name)).getFile();
  }
  // Without FileSystemFileHandle.move (older browsers), copy once.
  const finished = await dir.getFileHandle(name, { create: true });
  const out = await finished.createWritable();
  await out.write(await partial.getFile());
  await out.close();
  await dir.removeEntry(`${name}.partial`);
  return finished.getFile();
}
