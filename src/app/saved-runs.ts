// Unfinished runs kept in the Origin Private File System, so a page reload or a lost device does not
// lose them: what was asked for (model source, the data's text, settings) and the job's latest
// checkpoint. Used by the worker (saving) and the page (offering to resume).

import type { RunRequest } from '../worker/protocol';
import { CHECKPOINT_STATE, CHECKPOINT_TENSORS } from '../train/checkpoint';

const ROOT = 'runs';
const REQUEST = 'request.json';
const DATA = 'data.txt';

export interface SavedRun {
  runId: string;
  request: RunRequest;
  /** Steps done at the last checkpoint, and of how many. */
  step: number;
  steps: number;
}

async function runsDirectory(create: boolean): Promise<FileSystemDirectoryHandle | null> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(ROOT, { create }).catch(() => null);
}

async function writeFile(dir: FileSystemDirectoryHandle, name: string, data: Uint8Array | string): Promise<void> {
  const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
  await writable.write(data as FileSystemWriteChunkType);
  await writable.close();
}

async function readFile(dir: FileSystemDirectoryHandle, name: string): Promise<File | null> {
  return dir.getFileHandle(name).then((h) => h.getFile(), () => null);
}

/** Keeps what a run needs to start again; a picked folder cannot be reopened after a reload, so such runs are not kept. */
export async function rememberRun(request: RunRequest, dataText: string, fileName: string): Promise<boolean> {
  if (request.model.kind === 'folder') return false;
  const dir = await (await runsDirectory(true))!.getDirectoryHandle(request.runId, { create: true });
  const stored: RunRequest = request.data.kind === 'file' ? { ...request, data: { kind: 'saved', fileName } } : request;
  await writeFile(dir, DATA, dataText);
  await writeFile(dir, REQUEST, JSON.stringify(stored));
  return true;
}

export async function saveRunCheckpoint(runId: string, files: Map<string, Uint8Array>): Promise<string> {
  const dir = await (await runsDirectory(true))!.getDirectoryHandle(runId, { create: true });
  // The tensors first: a state file always names tensors that are complete.
  await writeFile(dir, CHECKPOINT_TENSORS, files.get(CHECKPOINT_TENSORS)!);
  await writeFile(dir, CHECKPOINT_STATE, files.get(CHECKPOINT_STATE)!);
  return 'this browser';
}

export async function savedRunData(runId: string): Promise<string | null> {
  const dir = await (await runsDirectory(false))?.getDirectoryHandle(runId).catch(() => null);
  return dir ? ((await readFile(dir, DATA))?.text() ?? null) : null;
}

export async function savedCheckpoint(runId: string): Promise<Map<string, Uint8Array> | null> {
  const dir = await (await runsDirectory(false))?.getDirectoryHandle(runId).catch(() => null);
  if (!dir) return null;
  const files = new Map<string, Uint8Array>();
  for (const name of [CHECKPOINT_TENSORS, CHECKPOINT_STATE]) {
    const file = await readFile(dir, name);
    if (!file) return null;
    files.set(name, new Uint8Array(await file.arrayBuffer()));
  }
  return files;
}

/** Runs with a request and a checkpoint, newest first. */
export async function savedRuns(): Promise<SavedRun[]> {
  const root = await runsDirectory(false);
  if (!root) return [];
  const runs: SavedRun[] = [];
  for await (const [runId, handle] of (root as unknown as AsyncIterable<[string, FileSystemHandle]>)) {
    if (handle.kind !== 'directory') continue;
    const dir = handle as FileSystemDirectoryHandle;
    const request = await readFile(dir, REQUEST);
    const state = await readFile(dir, CHECKPOINT_STATE);
    if (!request || !state) continue;
    const parsed = JSON.parse(await state.text()) as { step?: number; config?: { steps?: number } };
    runs.push({ runId, request: JSON.parse(await request.text()) as RunRequest, step: parsed.step ?? 0, steps: parsed.config?.steps ?? 0 });
  }
  return runs.sort((a, b) => (a.runId < b.runId ? 1 : -1));
}

export async function forgetRun(runId: string): Promise<void> {
  const root = await runsDirectory(false);
  await root?.removeEntry(runId, { recursive: true }).catch(() => {});
}
