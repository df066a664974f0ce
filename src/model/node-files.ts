// Node implementations of ByteSource and ModelFiles over the file system (CLI, tests). Kept apart
// from ./bytes.ts so that browser bundles never import `node:fs`.

import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { checkRange, type ByteSource, type ModelFiles } from './bytes';
import { ModelFormatError } from './errors';

/**
 * A file on disk. Each read opens and closes the file, so a source never leaks a handle and a
 * checkpoint can be read tensor by tensor without holding it in memory.
 */
export async function nodeFileSource(path: string, name = basename(path)): Promise<ByteSource> {
  const { size } = await stat(path);
  return {
    name,
    size,
    async read(offset, length) {
      checkRange(name, size, offset, length);
      const out = new Uint8Array(length);
      const handle = await open(path, 'r');
      try {
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(out, done, length - done, offset + done);
          // The file shrank since it was opened.
          if (bytesRead === 0) throw new ModelFormatError(name, `ends at byte ${offset + done}, expected ${offset + length}`);
          done += bytesRead;
        }
      } finally {
        await handle.close();
      }
      return out;
    },
  };
}

/**
 * A model folder on disk. Only its top-level files are listed; symbolic links are followed, as the
 * Hugging Face cache (`snapshots/<revision>/`) links every file to a blob.
 */
export async function nodeModelFiles(dir: string): Promise<ModelFiles> {
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile() || (entry.isSymbolicLink() && (await stat(join(dir, entry.name))).isFile())) names.push(entry.name);
  }
  names.sort();
  const present = new Set(names);
  return {
    list: () => [...names],
    open: async (name) => (present.has(name) ? nodeFileSource(join(dir, name), name) : null),
  };
}
