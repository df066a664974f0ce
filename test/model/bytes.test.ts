import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobSource, browserFiles, memoryFiles, memorySource, readJsonFile, type ByteSource } from '../../src/model/bytes';
import { ModelFormatError } from '../../src/model/errors';
import { nodeFileSource, nodeModelFiles } from '../../src/model/node-files';

const DATA = new Uint8Array(Array.from({ length: 100 }, (_, i) => i));
const dir = mkdtempSync(join(tmpdir(), 'model-bytes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function checkSource(source: ByteSource): Promise<void> {
  expect(source.size).toBe(100);
  expect(Array.from(await source.read(10, 5))).toEqual([10, 11, 12, 13, 14]);
  expect((await source.read(100, 0)).byteLength).toBe(0);
  await expect(source.read(98, 5)).rejects.toThrow(ModelFormatError);
  await expect(source.read(98, 5)).rejects.toThrow(/needs bytes up to 103 but the file has 100 \(truncated\?\)/);
  // The caller owns the returned bytes: changing them changes nothing for the next read.
  (await source.read(0, 4)).fill(255);
  expect(Array.from(await source.read(0, 4))).toEqual([0, 1, 2, 3]);
}

describe('byte sources', () => {
  it('memory, Blob and file sources read ranges and refuse reads past the end', async () => {
    await checkSource(memorySource('m.bin', DATA));
    await checkSource(blobSource(new Blob([DATA]), 'b.bin'));
    writeFileSync(join(dir, 'f.bin'), DATA);
    await checkSource(await nodeFileSource(join(dir, 'f.bin')));
  });

  it('a file that shrinks after it was opened is reported, not padded', async () => {
    writeFileSync(join(dir, 'shrink.bin'), DATA);
    const source = await nodeFileSource(join(dir, 'shrink.bin'));
    truncateSync(join(dir, 'shrink.bin'), 50);
    await expect(source.read(40, 20)).rejects.toThrow(/shrink\.bin: ends at byte 50, expected 60/);
  });
});

describe('model folders', () => {
  it('lists a directory on disk, following symbolic links as the Hugging Face cache uses them', async () => {
    const folder = join(dir, 'model');
    mkdirSync(join(folder, 'onnx'), { recursive: true });
    writeFileSync(join(dir, 'blob-config'), '{"model_type": "gpt2"}');
    symlinkSync(join(dir, 'blob-config'), join(folder, 'config.json'));
    writeFileSync(join(folder, 'model.safetensors'), DATA);
    const files = await nodeModelFiles(folder);
    expect(files.list()).toEqual(['config.json', 'model.safetensors']);
    expect(await readJsonFile(files, 'config.json')).toEqual({ model_type: 'gpt2' });
    expect(await files.open('missing.json')).toBeNull();
    expect((await files.open('model.safetensors'))?.size).toBe(100);
  });

  it('in-memory folders, and browser picks with the chosen folder name dropped', async () => {
    const files = memoryFiles({ 'config.json': new TextEncoder().encode('{"a": 1}'), 'bad.json': new TextEncoder().encode('{') });
    expect(files.list()).toEqual(['bad.json', 'config.json']);
    expect(await readJsonFile(files, 'config.json')).toEqual({ a: 1 });
    expect(await readJsonFile(files, 'nope.json')).toBeNull();
    await expect(readJsonFile(files, 'bad.json')).rejects.toThrow(/bad\.json: is not valid JSON/);

    const picked = (path: string): File => {
      const file = new File([DATA], path.slice(path.lastIndexOf('/') + 1));
      Object.defineProperty(file, 'webkitRelativePath', { value: path });
      return file;
    };
    const folder = browserFiles([picked('SmolLM2/config.json'), picked('SmolLM2/onnx/config.json')]);
    expect(folder.list()).toEqual(['config.json', 'onnx/config.json']);
    expect((await folder.open('config.json'))?.size).toBe(100);
    expect(browserFiles([new File([DATA], 'model.safetensors')]).list()).toEqual(['model.safetensors']);
    expect(() => browserFiles([new File([DATA], 'a.json'), new File([DATA], 'a.json')])).toThrow(/a\.json: picked twice/);
  });
});
