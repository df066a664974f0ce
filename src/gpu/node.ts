// WebGPU in Node through Dawn (the `webgpu` package). Node-only: imported by the CLI, tests and benches.

import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Gpu } from './gpu';
import { GpuError, unavailableMessage } from './errors';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let dawn: GPU | undefined;

/** Acquires a device through Dawn. Uses Chromium's SwiftShader when no Vulkan driver is chosen. */
export async function acquireNodeGpu(): Promise<Gpu> {
  return Gpu.acquire({ gpu: loadDawn(), where: 'node', settle: settleBySleeping });
}

function loadDawn(): GPU {
  if (dawn) return dawn;
  if (!process.env.VK_DRIVER_FILES && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_DRIVER_FILES = SWIFTSHADER_ICD;
  }
  if (!process.env.XDG_RUNTIME_DIR) {
    // Silences a harmless warning from the Vulkan loader.
    const dir = join(tmpdir(), `gora-xdg-${process.getuid?.() ?? 0}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  let webgpu: { create(options: string[]): GPU; globals: Record<string, unknown> };
  try {
    webgpu = createRequire(import.meta.url)('webgpu');
  } catch (error) {
    throw new GpuError('unavailable', `${unavailableMessage('no-webgpu', 'node')} ${String(error)}`);
  }
  Object.assign(globalThis, webgpu.globals);
  // Held for the life of the process: Dawn's instance must outlive every device made from it.
  dawn = webgpu.create([]);
  return dawn;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Waits for a GPU promise. Dawn processes its events from `setImmediate` while any promise is
 * pending, so a plain `await` spins a core at 100 %; sleeping 1 ms between turns frees it for the
 * driver's own threads (about 2x faster kernels on software adapters, measured).
 */
export async function settleBySleeping<T>(promise: Promise<T>): Promise<T> {
  let done = false;
  const settled = promise.finally(() => {
    done = true;
  });
  settled.catch(() => {});
  while (!done) {
    Atomics.wait(sleeper, 0, 0, 1);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return settled;
}
