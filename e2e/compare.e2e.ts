// The comparison view: each method's learning rate named before it starts and used; LoRA and GoRA × 1 seed with a tiny schedule on the built-in model and the
// sentiment sample, run one after another in the worker; the table shows both methods with numbers;
// compare.csv downloads with its header and one row per method; the charts download as a PNG without
// a Content-Security-Policy violation (the SVG is drawn through a blob: image); and the page still
// fits a phone screen with the results on it.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SCREENSHOTS, external, launchChromium, recordRequests, serveApp } from './browser';
import { CSV_HEADER } from '../src/compare/table';

let app: Awaited<ReturnType<typeof serveApp>>;

beforeAll(async () => {
  app = await serveApp();
});

afterAll(async () => {
  await app?.close();
});

async function setNumber(page: Page, testId: string, value: number): Promise<void> {
  await page.getByTestId(testId).fill(String(value));
}

async function downloaded(page: Page, testId: string): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: readFileSync(path) };
}

describe('the comparison view', () => {
  it('compares LoRA and GoRA and exports the table and the charts', async () => {
    const context = await launchChromium({ webgpu: true });
    const urls = recordRequests(context);
    const violations: string[] = [];
    await context.exposeBinding('reportCspViolation', (_source, line: string) => {
      violations.push(line);
    });
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { reportCspViolation: (line: string) => void }).reportCspViolation(`${event.effectiveDirective} refused ${event.blockedURI || '(inline)'}`);
      });
    });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(app.url);
      await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
      await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });
      // The software GPU here is slow: two steps of short rows.
      await setNumber(page, 'setting-steps', 2);
      await setNumber(page, 'setting-scanBatches', 2);
      await setNumber(page, 'setting-batchSize', 4);
      await setNumber(page, 'setting-seqLen', 32);
      await page.getByTestId('setting-seqLen').blur();
      await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });

      // gora and lora are chosen by default; make sure of it whatever was persisted.
      for (const method of ['gora', 'lora']) if (!(await page.getByTestId(`compare-method-${method}`).isChecked())) await page.getByTestId(`compare-method-${method}`).check();
      await setNumber(page, 'compare-seeds', 1);

      // Each method's rate is named before the comparison starts: its own by default, the settings'
      // for every method with one switch.
      await page.getByTestId('setting-lr').fill('0.0005');
      await page.getByTestId('setting-lr').blur();
      if (await page.getByTestId('compare-same-lr').isChecked()) await page.getByTestId('compare-same-lr').uncheck();
      const rateOf = async (method: string) => (await page.getByTestId(`compare-rate-${method}`).textContent())!.replace('lr ', '');
      expect([await rateOf('gora'), await rateOf('lora')]).toEqual(['2.0e-4', '1.0e-3']);
      await page.getByTestId('compare-same-lr').check();
      expect([await rateOf('gora'), await rateOf('lora')]).toEqual(['5.0e-4', '5.0e-4']);
      await page.getByTestId('compare-same-lr').uncheck();
      const shownRates = { gora: await rateOf('gora'), lora: await rateOf('lora') };
      await page.getByTestId('start-comparison').click();

      const status = () => page.getByTestId('comparison-view').getAttribute('data-status');
      let sawSecond = false;
      const deadline = Date.now() + 300_000;
      for (;;) {
        const s = await status();
        if (s !== 'running') break;
        // Read after the status, so the comparison may have finished in between.
        const progress = (await page.getByTestId('comparison-status').textContent()) ?? '';
        expect(progress).toMatch(/run [12] of 2|finished: 2 of 2/);
        if (/run 2 of 2/.test(progress)) sawSecond = true;
        if (Date.now() > deadline) throw new Error('the comparison did not finish in time');
        await page.waitForTimeout(250);
      }
      const error = await page.getByTestId('comparison-error').textContent().catch(() => null);
      expect(await status(), error ?? '').toBe('done');
      expect(sawSecond).toBe(true);
      expect(await page.getByTestId('comparison-status').textContent()).toContain('finished: 2 of 2 runs');
      await page.getByTestId('comparison-view').screenshot({ path: join(SCREENSHOTS, 'compare-1-done.png') });

      // Both rows, with numbers: validation loss and accuracy, the same on the sample's test split,
      // trainable parameters.
      for (const [method, label] of [
        ['gora', 'GoRA'],
        ['lora', 'LoRA'],
      ]) {
        const cells = await page.getByTestId(`comparison-row-${method}`).locator('td').allTextContents();
        expect(cells[0]).toBe(label);
        expect(cells[1]).toBe('1');
        // The rate each method ran at is the one shown beside it before the start.
        expect(cells[2]).toBe(shownRates[method as 'gora' | 'lora']);
        expect(Number(cells[3])).toBeGreaterThan(0);
        expect(Number(cells[4])).toBeGreaterThanOrEqual(0);
        expect(Number(cells[5])).toBeGreaterThan(0);
        expect(Number(cells[6])).toBeGreaterThanOrEqual(0);
        expect(Number(cells[7].replaceAll(',', ''))).toBeGreaterThan(1000);
      }
      expect(await page.getByTestId('comparison-chart').locator('path.recharts-curve').count()).toBeGreaterThanOrEqual(4);
      expect(await page.getByTestId('comparison-allocations').locator('.heatmap-cell').count()).toBeGreaterThan(0);

      const csv = await downloaded(page, 'download-comparison-csv');
      expect(csv.name).toBe('compare.csv');
      const lines = csv.bytes.toString('utf8').trimEnd().split('\r\n');
      expect(lines[0]).toBe(CSV_HEADER.join(','));
      expect(lines.map((l) => l.split(',')[0])).toEqual(['method', 'gora', 'lora']);
      for (const line of lines.slice(1)) {
        const fields = line.split(',');
        const column = (name: (typeof CSV_HEADER)[number]) => Number(fields[CSV_HEADER.indexOf(name)]);
        expect(column('runs')).toBe(1);
        expect(column('val_loss_mean')).toBeGreaterThan(0);
        expect(column('accuracy_mean')).toBeGreaterThanOrEqual(0);
        expect(column('accuracy_mean')).toBeLessThanOrEqual(1);
        expect(column('trainable_parameters')).toBeGreaterThan(1000);
        expect(column('peak_gpu_bytes')).toBeGreaterThan(0);
      }
      expect(Number(lines[1].split(',')[CSV_HEADER.indexOf('rank_max')])).toBeGreaterThanOrEqual(4);

      const json = JSON.parse((await downloaded(page, 'download-comparison-json')).bytes.toString('utf8'));
      expect(json.runs).toHaveLength(2);
      expect(json.runs[0].trainLoss).toHaveLength(2);

      const png = await downloaded(page, 'download-comparison-png');
      expect(png.name).toBe('comparison-loss.png');
      expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.bytes.length).toBeGreaterThan(5000);
      writeFileSync(join(SCREENSHOTS, 'compare-3-charts.png'), png.bytes);

      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.getByTestId('comparison-view').screenshot({ path: join(SCREENSHOTS, 'compare-2-phone.png') });

      expect(violations).toEqual([]);
      expect(errors).toEqual([]);
      expect(external(urls)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
