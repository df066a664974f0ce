// A reload in the middle of a run on a folder model: the page asks before leaving, a 12-step run at
// the default checkpoint interval (25) has a checkpoint to resume from, the folder is asked for again
// (a wrong one is refused by name), and the continued run finishes. Its results and downloads are
// still there after another reload, until cleared.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SCREENSHOTS, launchChromium, serveApp } from './browser';

const ROOT = join(import.meta.dirname, '..');
const MODEL_FOLDER = join(ROOT, 'public', 'models', 'gora-tiny');
const OTHER_FOLDER = join(ROOT, 'test', 'fixtures', 'gpt2');

let app: Awaited<ReturnType<typeof serveApp>>;

beforeAll(async () => {
  app = await serveApp();
});

afterAll(async () => {
  await app?.close();
});

const status = (page: Page) => page.getByTestId('run-status').getAttribute('data-status');

describe('a reload during a run on a folder model', () => {
  it('asks first, keeps a checkpoint, asks for the folder again, and keeps the finished run', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(app.url);
      await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
      await page.getByRole('tab', { name: 'Local folder' }).click();
      await page.getByLabel('model folder').setInputFiles(MODEL_FOLDER);
      await page.getByText('gora-tiny (folder)').first().waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Arithmetic word problems' }).click();
      await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });
      await page.getByTestId('method-lora').click();
      // The checkpoint interval stays at its default of 25, longer than the run.
      expect(await page.getByTestId('setting-checkpointEvery').inputValue()).toBe('25');
      for (const [key, value] of Object.entries({ steps: 12, batchSize: 4, evalBatches: 1, generateSamples: 0 })) await page.getByTestId(`setting-${key}`).fill(String(value));
      await page.getByTestId('start-run').click();
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-step"]')?.textContent?.split('/')[0] ?? 0) >= 4, null, { timeout: 300_000 });

      // Leaving asks first (the browser's own prompt); the test accepts it.
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.type());
        void dialog.accept();
      });
      await page.reload();
      expect(dialogs).toEqual(['beforeunload']);

      const banner = page.getByTestId('resume-banner');
      await banner.waitFor({ timeout: 60_000 });
      const text = (await banner.textContent()) ?? '';
      // A checkpoint every quarter of the 12 steps.
      expect(text).toMatch(/stopped at step (3|6|9) of 12/);
      expect(text).toContain('It trained the folder gora-tiny: choose that folder again to resume.');
      await page.screenshot({ path: join(SCREENSHOTS, 'reload-1-folder-asked.png'), fullPage: true });

      await page.getByTestId('resume-folder').setInputFiles(OTHER_FOLDER);
      expect(await page.getByTestId('resume-folder-problem').textContent()).toBe('this run trained the folder gora-tiny, not gpt2');
      await page.getByTestId('resume-folder').setInputFiles(MODEL_FOLDER);
      await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? ''), null, { timeout: 300_000 });
      const error = await page.getByTestId('run-error').textContent().catch(() => null);
      expect(await status(page), error ?? '').toBe('done');
      const result = await page.getByTestId('final-evaluation').textContent();

      // Finished: nothing to ask on leaving, and the results and downloads come back after a reload.
      await page.reload();
      await page.getByTestId('final-evaluation').waitFor({ timeout: 60_000 });
      expect(dialogs).toEqual(['beforeunload']);
      expect(await page.getByTestId('final-evaluation').textContent()).toBe(result);
      expect(await page.getByTestId('resume-banner').count()).toBe(0);
      expect(await page.getByTestId('training-view').locator('path.recharts-curve').count()).toBeGreaterThan(0);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-adapter').click()]);
      expect(download.suggestedFilename()).toMatch(/\.zip$/);
      await page.screenshot({ path: join(SCREENSHOTS, 'reload-2-kept.png'), fullPage: true });

      await page.getByTestId('clear-run').click();
      expect(await page.getByTestId('results-view').count()).toBe(0);
      await page.reload();
      await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1_000);
      expect(await page.getByTestId('results-view').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
