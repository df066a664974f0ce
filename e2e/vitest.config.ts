import { defineConfig } from 'vitest/config';

// End-to-end tests: headless Debian Chromium driven by playwright-core against the built app (dist/).
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
