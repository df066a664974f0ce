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

// Two validation batches and no generations: the comparison needs the same validation loss, not a long one.
const SETTINGS: Record<string, number> = { steps: 8, batchSize: 4, checkpointEvery: 3, evalBatches: 2, generateSamples: 0 };


async function finish(page: Page): Promise<string> {
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? ''), null, { timeout: 900_000 });
  const error = await page.getByTestId('run-error').textContent().catch(() => null);
  expect(await page.getByTestId('run-status').getAttribute('data-status'), error ?? '').toBe('done');
  return (await page.getByTestId('final-evaluation').textContent()) ?? '';
}

describe('an interrupted run', () => {
  it('is offered for resuming after a page reload and ends with the same validation loss as an uninterrupted run', async () => {
    const straight = await launchChromium({ webgpu: true });
    let expected: string;
    try {
      const page = await straight.newPage();
      await prepareLoraRun(page, app.url, SETTINGS);
      await page.getByTestId('start-run').click();
      expected = await finish(page);
    } finally {
      await straight.close();
    }

    const context = await launchChromium({ webgpu: true });
    try {
      const page = await context.newPage();
      await prepareLoraRun(page, app.url, SETTINGS);
      await page.getByTestId('start-run').click();
      // Past the checkpoint at step 3, then the page goes away mid-training.
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-step"]')?.textContent?.split('/')[0] ?? 0) >= 4, null, { timeout: 600_000 });
      // The page asks before leaving a run; the test accepts.
      page.on('dialog', (dialog) => void dialog.accept());
      await page.reload();
      const banner = page.getByTestId('resume-banner');
      await banner.waitFor({ timeout: 60_000 });
      expect(await banner.textContent()).toMatch(/stopped at step 3 of 8/);
      await page.screenshot({ path: join(SCREENSHOTS, 'resume-banner.png'), fullPage: true });
      await page.getByTestId('resume-run').click();
      const resumed = await finish(page);
      console.log(`uninterrupted: ${expected}\nresumed:       ${resumed}`);
      expect(resumed.match(/Validation loss ([\d.]+)/)?.[1]).toBe(expected.match(/Validation loss ([\d.]+)/)?.[1]);
    } finally {
      await context.close();
    }
  });
});
