// What a browser and its GPU do to a long run: the GPU process goes away (the device is lost) and the
// numbers stop being numbers. The run stops with a message naming the step and the checkpoint; after a
// lost device the same page offers to continue, without a reload, and the continued run finishes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { SCREENSHOTS, launchChromium, prepareLoraRun, serveApp } from './browser';

let app: Awaited<ReturnType<typeof serveApp>>;

beforeAll(async () => {
  app = await serveApp();
});

afterAll(async () => {
  await app?.close();
});


async function settled(page: Page): Promise<string> {
  await page.waitForFunction(() => ['done', 'error', 'stopped'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? ''), null, { timeout: 900_000 });
  return (await page.getByTestId('run-status').getAttribute('data-status')) ?? '';
}

describe('a run in the browser', () => {
  it('stops cleanly when the GPU device is lost, and continues from its checkpoint in the same page', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const page = await context.newPage();
      await prepareLoraRun(page, app.url, { steps: 8, batchSize: 4, checkpointEvery: 3 });
      await page.getByTestId('start-run').click();
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-step"]')?.textContent?.split('/')[0] ?? 0) >= 4, null, { timeout: 600_000 });
      // Chromium's own way to kill its GPU process (DevTools protocol): every device of every page is lost.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Browser.crashGpuProcess');
      expect(await settled(page)).toBe('error');
      const error = (await page.getByTestId('run-error').textContent()) ?? '';
      console.log(error);
      expect(error).toMatch(/lost/i);
      expect(error).toMatch(/the last checkpoint is from step 3/);
      const banner = page.getByTestId('resume-banner');
      await banner.waitFor({ timeout: 30_000 });
      expect(await banner.textContent()).toMatch(/stopped at step 3 of 8/);
      await page.screenshot({ path: join(SCREENSHOTS, 'device-lost.png'), fullPage: true });
      await page.getByTestId('resume-run').click();
      expect(await settled(page)).toBe('done');
      expect(await page.getByTestId('final-evaluation').textContent()).toMatch(/Validation loss \d/);
    } finally {
      await context.close();
    }
  });

  it('stops at the step whose loss is not finite, says so, and suggests a lower learning rate', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const page = await context.newPage();
      // AdamW moves every weight by about lr per step: lr = 1e30 overflows the next step's products.
      await prepareLoraRun(page, app.url, { steps: 6, batchSize: 2, checkpointEvery: 1, lr: 1e30 });
      await page.getByTestId('start-run').click();
      expect(await settled(page)).toBe('error');
      const error = (await page.getByTestId('run-error').textContent()) ?? '';
      console.log(error);
      expect(error).toMatch(/(loss became|gradient became) (NaN|Infinity|-Infinity|NaN or infinite) at step \d of 6/);
      expect(error).toMatch(/Lower the learning rate/);
      expect(error).toMatch(/the last checkpoint is from step \d/);
      await page.screenshot({ path: join(SCREENSHOTS, 'numerical-fault.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
