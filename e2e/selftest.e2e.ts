import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { SCREENSHOTS, launchChromium, serveApp } from './browser';

let app: Awaited<ReturnType<typeof serveApp>>;

beforeAll(async () => {
  app = await serveApp();
});

afterAll(async () => {
  await app?.close();
});

async function openApp(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(app.url);
  return { page, errors };
}

describe('the first page', () => {
  it('shows the adapter and passes the GPU self-test in the page and in a worker', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const { page, errors } = await openApp(context);
      await page.locator('details.gpu-details summary').click();
      await page.getByTestId('gpu-info').waitFor({ timeout: 60_000 });
      const info = await page.getByTestId('gpu-info').innerText();
      console.log(`adapter panel:\n${info}`);
      expect(info).toMatch(/Largest storage binding/);
      expect(await page.locator('[data-feature="shader-f16"]').count()).toBe(1);

      await page.getByTestId('run-self-test').click();
      for (const where of ['page', 'worker']) {
        const result = page.getByTestId(`self-test-${where}`);
        await page.waitForFunction((id) => {
          const status = document.querySelector(`[data-testid="self-test-${id}"]`)?.getAttribute('data-status');
          return status === 'passed' || status === 'failed';
        }, where, { timeout: 120_000 });
        console.log(`self-test (${where}):\n${await result.innerText()}`);
        expect(await result.getAttribute('data-status')).toBe('passed');
      }
      await page.screenshot({ path: join(SCREENSHOTS, 'self-test.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('explains when the browser has WebGPU but no adapter', async () => {
    const context = await launchChromium({ webgpu: false });
    try {
      const { page } = await openApp(context);
      const message = page.getByTestId('gpu-error');
      await message.waitFor({ timeout: 30_000 });
      expect(await message.innerText()).toMatch(/no GPU adapter is available/);
      expect(await page.getByTestId('start-run').isDisabled()).toBe(true);
      await page.screenshot({ path: join(SCREENSHOTS, 'no-adapter.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('explains when the browser has no WebGPU at all', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      await context.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
      });
      const { page } = await openApp(context);
      const message = page.getByTestId('gpu-error');
      await message.waitFor({ timeout: 30_000 });
      expect(await message.innerText()).toMatch(/does not provide WebGPU/);
    } finally {
      await context.close();
    }
  });
});
