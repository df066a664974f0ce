import { defineConfig } from 'vitest/config';

// Unit and kernel tests run in Node; kernel tests use real WebGPU through Dawn (see test/gpu.ts).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Dawn's software adapters are slow and the machine has 2 cores: one test file at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
