// Unfinished runs kept in the Origin Private File System, so a page reload or a lost device does not
// lose them: what was asked for (model source, the data's text, settings) and the job's latest
// checkpoint. Used by the worker (saving) and the page (offering to resume).

import type { RunRequest } from '../worker/protocol';
import { CHECKPOINT_STATE, CHECKPOINT_TENSORS } from '../train/checkpoint';
import { readStoredFile, storageFolder, writeStoredFile } from './opfs';

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

const runsDirectory = (create: boolean) => storageFolder(ROOT, create);

/**
 * Keeps what a run needs to start again. A folder picked from disk cannot be reopened after a reload
 * (the page gets no lasting handle to it), so only its name is kept: the page asks for the folder
 * again to resume (folderProblem, and resumeSavedRun in src/app/state/run.ts).
 */
export async function rememberRun(request: RunRequest, dataText: string, fileName: string): Promise<void> {
  const dir = await (await runsDirectory(true))!.getDirectoryHandle(request.runId, { create: true });
  const model = request.model.kind === 'folder' ? { ...request.model, files: [] } : request.model;
  const stored: RunRequest = { ...request, model, ...(request.data.kind === 'file' ? { data: { kind: 'saved', fileName } } : {}) };
  await writeStoredFile(dir, DATA, dataText);
  await writeStoredFile(dir, REQUEST, JSON.stringify(stored));
}

/** A kept run on a folder model needs the folder picked again; the one given must have the same name. */
export function folderProblem(saved: SavedRun, files: readonly File[]): string | null {
  const { model } = saved.request;
  if (model.kind !== 'folder') return null;
  const picked = files[0]?.webkitRelativePath.split('/')[0] || '';
  if (files.length === 0) return `choose the folder ${model.name} again to resume this run`;
  return picked === model.name ? null : `this run trained the folder ${model.name}, not ${picked || 'the files chosen'}`;
}

export async function saveRunCheckpoint(runId: string, files: Map<string, Uint8Array>): Promise<string> {
  const dir = await (await runsDirectory(true))!.getDirectoryHandle(runId, { create: true });
  // The tensors first: a state file always names tensors that are complete.
  await writeStoredFile(dir, CHECKPOINT_TENSORS, files.get(CHECKPOINT_TENSORS)!);
  await writeStoredFile(dir, CHECKPOINT_STATE, files.get(CHECKPOINT_STATE)!);
  return 'this browser';
}

export async function savedRunData(runId: string): Promise<string | null> {
  const dir = await (await runsDirectory(false))?.getDirectoryHandle(runId).catch(() => null);
  return dir ? ((await readStoredFile(dir, DATA))?.text() ?? null) : null;
}

export async function savedCheckpoint(runId: string): Promise<Map<string, Uint8Array> | null> {
  const dir = await (await runsDirectory(false))?.getDirectoryHandle(runId).catch(() => null);
  if (!dir) return null;
  const files = new Map<string, Uint8Array>();
  for (const name of [CHECKPOINT_TENSORS, CHECKPOINT_STATE]) {
    const file = await readStoredFile(dir, name);
    if (!file) return null;
    files.set(name, new Uint8Array(await file.arrayBuffer()));
  }
  return files;
}

/** A kept run that cannot be offered, and why (named so the user can discard it). */
export interface UnreadableRun {
  runId: string;
  reason: string;
}

export interface SavedRunList {
  /** Runs with a request and a checkpoint, newest first. */
  runs: SavedRun[];
  /** Runs whose files are damaged: skipped, each with the reason, while the others are still offered. */
  unreadable: UnreadableRun[];
}

/** Every kept run of this browser (see listSavedRuns). */
export async function savedRuns(): Promise<SavedRunList> {
  const root = await runsDirectory(false);
  return root ? listSavedRuns(root) : { runs: [], unreadable: [] };
}

/**
 * The runs kept under `root` (one folder per run). A folder without a checkpoint yet is a run that
 * has not saved one (nothing to offer); a folder whose files cannot be read or parsed is named in
 * `unreadable`, so one damaged run never hides the others.
 */
export async function listSavedRuns(root: FileSystemDirectoryHandle): Promise<SavedRunList> {
  const runs: SavedRun[] = [];
  const unreadable: UnreadableRun[] = [];
  for await (const [runId, handle] of (root as unknown as AsyncIterable<[string, FileSystemHandle]>)) {
    if (handle.kind !== 'directory') continue;
    try {
      const run = await readSavedRun(runId, handle as FileSystemDirectoryHandle);
      if (run) runs.push(run);
    } catch (error) {
      unreadable.push({ runId, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { runs: runs.sort((a, b) => (a.runId < b.runId ? 1 : -1)), unreadable: unreadable.sort((a, b) => (a.runId < b.runId ? 1 : -1)) };
}

/** One kept run, null when it has no checkpoint yet; throws, saying which file is wrong, when it is damaged. */
async function readSavedRun(runId: string, dir: FileSystemDirectoryHandle): Promise<SavedRun | null> {
  const requestFile = await readStoredFile(dir, REQUEST);
  const stateFile = await readStoredFile(dir, CHECKPOINT_STATE);
  if (!requestFile || !stateFile) return null;
  const request = parseJson(REQUEST, await requestFile.text()) as Partial<RunRequest> | null;
  if (!request || typeof request !== 'object' || !request.config || typeof request.config.method !== 'string' || !request.model || !request.data) {
    throw new Error(`${REQUEST} does not describe a run (no model, data or settings)`);
  }
  const state = parseJson(CHECKPOINT_STATE, await stateFile.text()) as { step?: unknown; config?: { steps?: unknown } } | null;
  if (!state || typeof state !== 'object' || typeof state.step !== 'number' || typeof state.config?.steps !== 'number') {
    throw new Error(`${CHECKPOINT_STATE} names no step and no step count`);
  }
  return { runId, request: { ...(request as RunRequest), runId }, step: state.step, steps: state.config.steps };
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${name} is not valid JSON (${(error as Error).message})`);
  }
}

export async function forgetRun(runId: string): Promise<void> {
  const root = await runsDirectory(false);
  await root?.removeEntry(runId, { recursive: true }).catch(() => {});
}
