// The runs kept in the browser's storage: a damaged one is named and skipped, and the readable ones
// are still offered for resuming. The storage is written by the page itself (no training needed).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SCREENSHOTS, launchChromium, serveApp } from './browser';

let app: Awaited<ReturnType<typeof serveApp>>;

beforeAll(async () => {
  app = await serveApp();
});

afterAll(async () => {
  await app?.close();
});

describe('saved runs', () => {
  it('skips a damaged saved run with a message naming it, and still offers the others', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const page = await context.newPage();
      await page.goto(app.url);
      await page.evaluate(async () => {
        const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('runs', { create: true });
        const write = async (run: string, name: string, text: string) => {
          const dir = await root.getDirectoryHandle(run, { create: true });
          const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
          await writable.write(text);
          await writable.close();
        };
        const config = { method: 'lora', rank: 8, steps: 8 };
        const request = (runId: string) => JSON.stringify({ type: 'run', runId, model: { kind: 'embedded', name: 'gora-tiny' }, data: { kind: 'sample', name: 'sentiment' }, dataOptions: {}, config, reviewAllocation: false });
        await write('run-good', 'request.json', request('run-good'));
        await write('run-good', 'checkpoint.json', JSON.stringify({ step: 3, config }));
        await write('run-damaged', 'request.json', request('run-damaged'));
        await write('run-damaged', 'checkpoint.json', '{"step": 5, "con');
      });
      await page.reload();
      const banner = page.getByTestId('resume-banner');
      await banner.waitFor({ timeout: 60_000 });
      const text = (await banner.textContent()) ?? '';
      await page.screenshot({ path: join(SCREENSHOTS, 'saved-runs-damaged.png'), fullPage: true });
      expect(text).toMatch(/stopped at step 3 of 8/);
      expect(await page.getByTestId('unreadable-run').textContent()).toMatch(/^The saved run run-damaged cannot be read \(checkpoint\.json is not valid JSON/);
      expect(await page.getByTestId('resume-run').count()).toBe(1);
    } finally {
      await context.close();
    }
  });
});
