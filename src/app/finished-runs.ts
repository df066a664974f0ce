// Finished runs kept in the Origin Private File System, so a reload keeps their results, charts and
// downloads until the user clears them. One folder per run: run.json (the folded state, without
// files) and files/ (the adapter and reports the run exported, byte for byte).

import type { RunState } from './state/fold';
import { readStoredFile, storageFolder, writeStoredFile } from './opfs';

const ROOT = 'finished';
const STATE = 'run.json';
const FILES = 'files';

const finishedDirectory = (create: boolean) => storageFolder(ROOT, create);

// JSON has no NaN or infinity (a run without validation rows has a NaN loss): they travel as strings.
const NON_FINITE = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);
const encodeNumber = (_key: string, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? `#${value}` : value);
const decodeNumber = (_key: string, value: unknown) => (typeof value === 'string' && value.startsWith('#') && NON_FINITE.has(value.slice(1)) ? NON_FINITE.get(value.slice(1)) : value);

/** run.json: the state without its files (they are kept beside it, byte for byte). */
export function runStateJson(run: RunState): string {
  return JSON.stringify({ ...run, files: null }, encodeNumber);
}

export function parseRunState(text: string): RunState {
  return JSON.parse(text, decodeNumber) as RunState;
}

/** Writes the files first: a run.json always names files that are complete. */
export async function keepFinishedRun(run: RunState): Promise<void> {
  const dir = await (await finishedDirectory(true))!.getDirectoryHandle(run.id, { create: true });
  const files = await dir.getDirectoryHandle(FILES, { create: true });
  for (const [name, bytes] of Object.entries(run.files ?? {})) await writeStoredFile(files, name, bytes);
  await writeStoredFile(dir, STATE, runStateJson(run));
}

/** Every kept finished run, oldest first; a damaged one is skipped (it cannot be shown, and holds no unfinished work). */
export async function finishedRuns(): Promise<RunState[]> {
  const root = await finishedDirectory(false);
  if (!root) return [];
  const runs: RunState[] = [];
  for await (const [, handle] of root as unknown as AsyncIterable<[string, FileSystemHandle]>) {
    if (handle.kind !== 'directory') continue;
    const run = await readFinishedRun(handle as FileSystemDirectoryHandle).catch(() => null);
    if (run) runs.push(run);
  }
  return runs.sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function readFinishedRun(dir: FileSystemDirectoryHandle): Promise<RunState | null> {
  const state = await readStoredFile(dir, STATE);
  if (!state) return null;
  const run = parseRunState(await state.text());
  const files: Record<string, Uint8Array> = {};
  const folder = await dir.getDirectoryHandle(FILES);
  for await (const [name, handle] of folder as unknown as AsyncIterable<[string, FileSystemHandle]>) {
    if (handle.kind === 'file') files[name] = new Uint8Array(await (await (handle as FileSystemFileHandle).getFile()).arrayBuffer());
  }
  return { ...run, files };
}

export async function forgetFinishedRun(runId: string): Promise<void> {
  const root = await finishedDirectory(false);
  await root?.removeEntry(runId, { recursive: true }).catch(() => {});
}
