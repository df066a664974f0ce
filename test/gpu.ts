// Shared set-up for kernel tests: one real WebGPU device per test file (Dawn in Node).

import { afterAll, expect } from 'vitest';
import type { Gpu, KernelVariant } from '../src/gpu/gpu';
import { acquireNodeGpu } from '../src/gpu/node';
import type { Comparison } from '../src/engine/compare';

let gpu: Promise<Gpu> | null = null;

export function testGpu(): Promise<Gpu> {
  gpu ??= acquireNodeGpu();
  return gpu;
}

afterAll(async () => {
  if (gpu) (await gpu).destroy();
  gpu = null;
});

/** Prints each comparison (so the log shows the actual errors) and fails if any is out of tolerance. */
export function expectClose(results: Comparison[]): void {
  const lines = results.map(
    (r) => `${r.passed ? 'ok  ' : 'FAIL'} ${r.name}: max |gpu - cpu| = ${r.maxAbsError.toExponential(2)} (tolerance ${r.tolerance.toExponential(1)})`,
  );
  console.log(lines.join('\n'));
  for (const r of results) expect(r.maxAbsError, r.name).toBeLessThanOrEqual(r.tolerance);
}

/** Both kernel variants (Gpu.kernelVariant): every comparison runs on each, whichever the adapter prefers. */
export const VARIANTS: KernelVariant[] = ['parallel', 'serial'];

/** Runs `body` with the device set to `variant`, then restores the adapter's own choice. */
export async function withVariant<T>(gpu: Gpu, variant: KernelVariant, body: () => Promise<T>): Promise<T> {
  const saved = gpu.kernelVariant;
  gpu.kernelVariant = variant;
  try {
    return await body();
  } finally {
    gpu.kernelVariant = saved;
  }
}
