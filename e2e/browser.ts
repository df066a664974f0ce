// Serves the built app on 127.0.0.1 and drives Debian's Chromium headless (never a downloaded browser).

import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/lib/chromium/chromium'];

export const SCREENSHOTS = join(import.meta.dirname, 'screenshots');

export async function serveApp(): Promise<{ url: string; close: () => Promise<void> }> {
  if (!existsSync(join(import.meta.dirname, '..', 'dist', 'index.html'))) {
    throw new Error('dist/ is missing: run `npm run build` before the end-to-end tests');
  }
  const server: PreviewServer = await preview({ preview: { host: '127.0.0.1', port: 0, strictPort: false }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the preview server did not report its address');
  return { url, close: () => server.close() };
}

/** A fresh headless Chromium profile; `webgpu: false` leaves WebGPU without an adapter, as on unsupported machines. */
export async function launchChromium(options: { webgpu: boolean }): Promise<BrowserContext> {
  const executablePath = CHROMIUM_CANDIDATES.find((p): p is string => !!p && existsSync(p));
  if (!executablePath) throw new Error('Chromium not found: apt-get install -y chromium (npm test does this)');
  mkdirSync(SCREENSHOTS, { recursive: true });
  const userDataDir = mkdtempSync(join(tmpdir(), 'gora-chromium-'));
  return chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      ...(options.webgpu ? ['--enable-unsafe-webgpu'] : []),
      '--no-sandbox',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Every URL the context requests, to check that nothing leaves this machine. */
export function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (request) => urls.push(request.url()));
  return urls;
}

/** The requests that went anywhere but 127.0.0.1 (data: and blob: URLs stay in the page). */
export function external(urls: string[]): string[] {
  return urls.filter((url) => {
    if (url.startsWith('data:') || url.startsWith('blob:')) return false;
    return new URL(url).hostname !== '127.0.0.1';
  });
}

/** Opens the app with the built-in model and the arithmetic sample, LoRA chosen and these settings typed in. */
export async function prepareLoraRun(page: Page, url: string, settings: Record<string, number>): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(url);
  await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Arithmetic word problems' }).click();
  await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });
  await page.getByTestId('method-lora').click();
  for (const [key, value] of Object.entries(settings)) await page.getByTestId(`setting-${key}`).fill(String(value));
}
