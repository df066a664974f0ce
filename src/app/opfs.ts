// The few Origin Private File System operations the app's kept runs use (saved-runs.ts for
// unfinished runs, finished-runs.ts for finished ones): a top-level folder, and whole files in it.

/** The folder `name` at the storage's root; null when it does not exist and `create` is false. */
export async function storageFolder(name: string, create: boolean): Promise<FileSystemDirectoryHandle | null> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(name, { create }).catch(() => null);
}

export async function writeStoredFile(dir: FileSystemDirectoryHandle, name: string, data: Uint8Array | string): Promise<void> {
  const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
  await writable.write(data as FileSystemWriteChunkType);
  await writable.close();
}

/** The file, or null when it is not there. */
export async function readStoredFile(dir: FileSystemDirectoryHandle, name: string): Promise<File | null> {
  return dir.getFileHandle(name).then((h) => h.getFile(), () => null);
}
