// The playground: during a run (paused mid-training) the run's own model continues a prompt as it is
// and as trained so far; after the run, the base model and the run's adapter side by side, each
// streaming its tokens; the same adapter downloaded and loaded back gives the same text.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SCREENSHOTS, launchChromium, serveApp } from './browser';

let app: Awaited<ReturnType<typeof serveApp>>;

beforeAll(async () => {
  app = await serveApp();
});

afterAll(async () => {
  await app?.close();
});

/** Generates and returns both outputs, and every text the adapted side showed on its way. */
async function generate(page: Page): Promise<{ base: string; adapted: string; seen: string[] }> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seen: string[] }).seen = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="playground-adapted-text"]')?.textContent ?? '';
      if (seen.at(-1) !== text) seen.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.getByTestId('playground-generate').click();
  await page.waitForSelector('[data-testid="playground-adapted"][data-done="true"]', { timeout: 300_000 });
  return {
    base: (await page.getByTestId('playground-base-text').textContent()) ?? '',
    adapted: (await page.getByTestId('playground-adapted-text').textContent()) ?? '',
    seen: await page.evaluate(() => (window as unknown as { seen: string[] }).seen),
  };
}

describe('the playground', () => {
  it('streams the base model and the run\'s adapter side by side, and the downloaded adapter loads back', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(app.url);
      await page.getByTestId('built-in-loaded').waitFor({ timeout: 60_000 });
      await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });
      await page.getByTestId('method-lora').click();
      for (const [key, value] of Object.entries({ steps: 4, batchSize: 2, evalBatches: 1, generateSamples: 0, lr: 0.01 })) await page.getByTestId(`setting-${key}`).fill(String(value));
      await page.getByTestId('playground-prompt').fill('The whale');
      await page.getByTestId('playground-maxNewTokens').fill('6');
      await page.getByTestId('start-run').click();

      // During the run: paused after its first step, the run's model answers between steps.
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-step"]')?.textContent?.split('/')[0] ?? 0) >= 1, null, { timeout: 600_000 });
      await page.getByTestId('pause-run').click();
      await page.waitForSelector('[data-testid="run-status"][data-status="paused"]', { timeout: 120_000 });
      expect(await page.getByTestId('playground-adapter').textContent()).toMatch(/as trained so far/);
      const during = await generate(page);
      expect(during.base.length).toBeGreaterThan(0);
      expect(during.adapted.length).toBeGreaterThan(0);
      await page.screenshot({ path: join(SCREENSHOTS, 'playground-during-run.png'), fullPage: true });
      await page.getByTestId('resume-run').click();
      await page.waitForSelector('[data-testid="run-status"][data-status="done"], [data-testid="run-status"][data-status="error"]', { timeout: 600_000 });
      const error = await page.getByTestId('run-error').textContent().catch(() => null);
      expect(await page.getByTestId('run-status').getAttribute('data-status'), error ?? '').toBe('done');

      const first = await generate(page);
      // The base model is the same during and after the run.
      expect(first.base).toBe(during.base);
      expect(first.base.length).toBeGreaterThan(0);
      expect(first.adapted.length).toBeGreaterThan(0);
      // Streamed: the adapted side showed text before its last.
      expect(first.seen.filter((t) => t !== '…' && t !== '').length).toBeGreaterThan(1);
      expect(await page.getByTestId('playground').textContent()).toMatch(/tokens\/s/);
      await page.screenshot({ path: join(SCREENSHOTS, 'playground.png'), fullPage: true });

      // The run's adapter, downloaded and loaded back: greedy decoding gives the same text.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-adapter').click()]);
      const zip = join(mkdtempSync(join(tmpdir(), 'gora-playground-')), 'adapter.zip');
      await download.saveAs(zip);
      await page.getByTestId('playground-adapter-file').setInputFiles(zip);
      // The zip is read and unpacked asynchronously: wait for the name to change before reading it.
      await page.waitForFunction(() => document.querySelector('[data-testid="playground-adapter"]')?.textContent !== 'LoRA r=16 · 4 steps', null, { timeout: 30_000 });
      expect(await page.getByTestId('playground-adapter').textContent()).toBe('adapter.zip');
      const again = await generate(page);
      expect(again.adapted).toBe(first.adapted);
      expect(again.base).toBe(first.base);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 900_000);
});
