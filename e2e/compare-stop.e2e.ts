// Stopping a comparison stops its current run between steps and starts no other; the page is ready
// for the next run at once, and nothing of the stopped run is kept for resuming.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, serveApp } from './browser';

let app: Awaited<ReturnType<typeof serveApp>>;

beforeAll(async () => {
  app = await serveApp();
});

afterAll(async () => {
  await app?.close();
});

describe('the comparison view', () => {
  it('stops the current run cleanly', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(app.url);
      await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
      await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });
      await page.getByTestId('setting-steps').fill('200');
      await page.getByTestId('setting-batchSize').fill('4');
      await page.getByTestId('setting-seqLen').fill('32');
      // LoRA first: no scan, so training starts at once.
      await page.getByTestId('compare-method-gora').uncheck();
      await page.getByTestId('compare-method-lora').check();
      await page.getByTestId('compare-method-rslora').check();
      await page.getByTestId('compare-seeds').fill('2');
      await page.getByTestId('start-comparison').click();
      await page.waitForFunction(() => /train step [1-9]/.test(document.querySelector('[data-testid="comparison-status"]')?.textContent ?? ''), null, { timeout: 60_000 });
      expect(await page.getByTestId('comparison-status').textContent()).toMatch(/run 1 of 4 · LoRA, seed 0/);
      await page.getByTestId('stop-comparison').click();
      await page.waitForSelector('[data-testid="comparison-view"][data-status="stopped"]', { timeout: 60_000 });
      expect(await page.getByTestId('comparison-status').textContent()).toBe('Comparison stopped: 0 of 4 runs finished');
      // It stopped part-way through the 200 steps (its curve is drawn, no run finished), and no other run started.
      expect(await page.getByTestId('comparison-chart').count()).toBe(1);
      expect(await page.getByTestId('comparison-table').count()).toBe(0);
      await page.waitForTimeout(1_500);
      expect(await page.getByTestId('comparison-status').textContent()).toBe('Comparison stopped: 0 of 4 runs finished');
      expect(await page.getByTestId('start-comparison').isEnabled()).toBe(true);
      expect(await page.getByTestId('start-run').isEnabled()).toBe(true);
      // Nothing kept for resuming after a reload.
      await page.reload();
      await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1_000);
      expect(await page.getByTestId('resume-banner').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
