// Charts, heatmaps and tables are readable: after a tiny GoRA run the validation curve has its own
// colour and visible dots (it has one point here), every chart names its axes, tooltips show rounded
// values, the heatmaps carry a colour scale and show a cell's value on keyboard focus as on hover; and
// after a one-run comparison the results table fits 1280 px or says that it scrolls (and scrolls
// with the keyboard).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { SCREENSHOTS, launchChromium, serveApp } from './browser';

let app: Awaited<ReturnType<typeof serveApp>>;

beforeAll(async () => {
  app = await serveApp();
});

afterAll(async () => {
  await app?.close();
});

// The software GPU here is slow: three steps of short rows, one validation batch, only at the end
// (so the validation series has a single point), and no generations.
const SETTINGS: Record<string, number> = { steps: 3, scanBatches: 1, batchSize: 2, seqLen: 32, evalEvery: 0, evalBatches: 1, generateSamples: 0 };

/** Significant digits of a number as written: 2.424 → 4, 0.0001235 → 4, 1.5e-4 → 2, 1,234 → 4. */
function significantDigits(text: string): number {
  const mantissa = text.replace(/,/g, '').replace(/^[-−]/, '').split(/e/i)[0];
  return mantissa.replace('.', '').replace(/^0+/, '').length;
}

/** Each curve of a chart: its series class (series-train, series-validation, …) and stroke. */
async function curves(chart: Locator): Promise<Array<{ series: string; stroke: string | null }>> {
  return chart.locator('.recharts-line').evaluateAll((lines) =>
    lines.map((line) => ({
      series: [...line.classList].find((c) => c.startsWith('series-')) ?? '',
      stroke: line.querySelector('path.recharts-curve')?.getAttribute('stroke') ?? null,
    })),
  );
}

/** The validation dots drawn (recharts draws dots in a layer of their own, outside the curve's group). */
async function validationDots(chart: Locator): Promise<number[]> {
  return chart.locator('.series-validation-dot').evaluateAll((dots) => dots.map((d) => Number(d.getAttribute('r'))));
}

async function axisTitles(chart: Locator): Promise<string[]> {
  return chart.locator('.recharts-label').allTextContents();
}

/** Hovers the right end of a chart's plot (the last step) and returns the tooltip's values. */
async function tooltipValues(page: Page, chart: Locator): Promise<string[]> {
  const box = await chart.locator('.recharts-cartesian-grid').boundingBox();
  if (!box) throw new Error('the chart has no plot area');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2, { steps: 4 });
  const values = chart.locator('.recharts-tooltip-item-value');
  await values.first().waitFor({ timeout: 10_000 });
  return values.allTextContents();
}

/** A scroll box that is a tab stop and scrolls sideways with the arrow keys. */
async function scrollsByKeyboard(page: Page, region: Locator): Promise<void> {
  expect(await region.getAttribute('tabindex')).toBe('0');
  await region.evaluate((e) => e.scrollTo({ left: 0 }));
  await region.focus();
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((e) => e!.scrollLeft > 0, await region.elementHandle(), { timeout: 5_000 });
}

describe('charts, heatmaps and tables', () => {
  it('tell the series apart, name their axes, round their values and can be read by keyboard', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const page = await context.newPage();
      await page.setViewportSize({ width: 1280, height: 900 });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(app.url);
      await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
      await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });
      await page.getByTestId('method-gora').click();
      for (const [key, value] of Object.entries(SETTINGS)) await page.getByTestId(`setting-${key}`).fill(String(value));
      await page.getByTestId('setting-seqLen').blur();
      await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });

      const started = Date.now();
      await page.getByTestId('start-run').click();
      await page.waitForSelector('[data-testid="run-status"][data-status="done"], [data-testid="run-status"][data-status="error"]', { timeout: 300_000 });
      const error = await page.getByTestId('run-error').textContent().catch(() => null);
      expect(await page.getByTestId('run-status').getAttribute('data-status'), error ?? '').toBe('done');
      console.log(`GoRA run: ${((Date.now() - started) / 1000).toFixed(0)} s`);

      // Train and validation loss: two colours, and the one validation point is a visible dot.
      const loss = page.getByTestId('loss-chart');
      const lossCurves = await curves(loss);
      const train = lossCurves.find((c) => c.series === 'series-train');
      const validation = lossCurves.find((c) => c.series === 'series-validation');
      expect(train?.stroke, JSON.stringify(lossCurves)).toBeTruthy();
      expect(validation?.stroke, JSON.stringify(lossCurves)).toBeTruthy();
      expect(validation!.stroke).not.toBe(train!.stroke);
      const dots = await validationDots(loss);
      expect(dots.length).toBe(1);
      expect(dots[0]).toBeGreaterThanOrEqual(3);

      // Axis titles with units, on the loss and the learning-rate charts.
      expect(await axisTitles(loss)).toEqual(expect.arrayContaining(['step', 'loss (nats/token)']));
      const lr = page.getByTestId('lr-chart');
      expect(await axisTitles(lr)).toEqual(expect.arrayContaining(['step', 'learning rate']));

      // Tooltips round their values to a few significant digits.
      await page.getByTestId('training-view').scrollIntoViewIfNeeded();
      const lossValues = await tooltipValues(page, loss);
      expect(lossValues.length).toBeGreaterThanOrEqual(1);
      for (const value of lossValues) {
        expect(value).toMatch(/^[\d.e−-]+$/);
        expect(significantDigits(value), value).toBeLessThanOrEqual(5);
      }
      await page.getByTestId('training-view').screenshot({ path: join(SCREENSHOTS, 'charts-1-training-tooltip.png') });
      for (const value of await tooltipValues(page, lr)) expect(significantDigits(value), value).toBeLessThanOrEqual(5);

      // The heatmaps have a colour scale with numbers at its ends.
      const importance = page.getByTestId('heatmap-importance');
      const scale = importance.getByTestId('heatmap-scale');
      expect(await scale.count()).toBe(1);
      expect(await scale.textContent()).toMatch(/\d.*\d/);
      expect(await page.getByTestId('heatmap-rank').getByTestId('heatmap-scale').count()).toBe(1);

      // The rank written on each cell is legible on its colour (WCAG 1.4.3: 4.5:1 for small text).
      const contrasts = await page
        .getByTestId('heatmap-rank')
        .locator('.heatmap-cell')
        .evaluateAll((cells) =>
          cells.map((cell) => {
            const style = getComputedStyle(cell);
            const luminance = (css: string) => {
              const [r, g, b] = css.match(/[\d.]+/g)!.slice(0, 3).map((c) => Number(c) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
              return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            };
            const [a, b] = [luminance(style.color), luminance(style.backgroundColor)];
            return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
          }),
        );
      expect(Math.min(...contrasts)).toBeGreaterThanOrEqual(4.5);
      console.log(`rank heatmap: text contrast ${Math.min(...contrasts).toFixed(1)}:1 at least`);

      // Each heatmap is one tab stop: Tab from the rank heatmap lands in the importance heatmap,
      // whose focused cell says its layer, module and value, on the page as well as to a screen reader.
      const rankCell = page.getByTestId('heatmap-rank').locator('.heatmap-cell[tabindex="0"]');
      expect(await rankCell.count()).toBe(1);
      await rankCell.focus();
      expect(await page.getByTestId('heatmap-rank').getByTestId('heatmap-readout').textContent()).toMatch(/^layer \d+, \w+: rank \d+, importance \d/);
      await page.keyboard.press('Tab');
      const focused = () => page.evaluate(() => ({ label: document.activeElement?.getAttribute('aria-label') ?? '', heatmap: document.activeElement?.closest('[data-testid^="heatmap-"]')?.getAttribute('data-testid') }));
      const first = await focused();
      expect(first.heatmap).toBe('heatmap-importance');
      expect(first.label).toMatch(/layer \d+, \w+: importance \d/);
      const readout = importance.getByTestId('heatmap-readout');
      expect(await readout.textContent()).toMatch(/importance \d[\d.]*(e-?\d+)?/);
      // Arrow keys move within the heatmap.
      await page.keyboard.press('ArrowDown');
      const second = await focused();
      expect(second.heatmap).toBe('heatmap-importance');
      expect(second.label).not.toBe(first.label);
      expect(await readout.textContent()).toContain(second.label.match(/importance ([^,\s]+)/)![1]);
      await page.getByTestId('allocation-view').screenshot({ path: join(SCREENSHOTS, 'charts-2-heatmap-focus.png') });

      // Hovering a cell shows its value too.
      const hovered = importance.locator('.heatmap-cell').nth(2);
      await hovered.hover();
      expect(await readout.textContent()).toContain((await hovered.getAttribute('aria-label'))!.match(/importance ([^,\s]+)/)![1]);

      // A comparison of one run, with the same tiny settings.
      for (const method of ['gora', 'rslora', 'lora-ga', 'pissa', 'full']) await page.getByTestId(`compare-method-${method}`).uncheck();
      await page.getByTestId('compare-method-lora').check();
      await page.getByTestId('compare-seeds').fill('1');
      const compared = Date.now();
      await page.getByTestId('start-comparison').click();
      await page.waitForFunction(() => !['running', 'stopping'].includes(document.querySelector('[data-testid="comparison-view"]')?.getAttribute('data-status') ?? ''), null, { timeout: 300_000 });
      const comparisonError = await page.getByTestId('comparison-error').textContent().catch(() => null);
      expect(await page.getByTestId('comparison-view').getAttribute('data-status'), comparisonError ?? '').toBe('done');
      console.log(`comparison: ${((Date.now() - compared) / 1000).toFixed(0)} s`);

      const comparisonCurves = await curves(page.getByTestId('comparison-chart'));
      const [ctrain, cvalidation] = ['series-train', 'series-validation'].map((s) => comparisonCurves.find((c) => c.series === s));
      expect(cvalidation?.stroke, JSON.stringify(comparisonCurves)).toBeTruthy();
      expect(cvalidation!.stroke).not.toBe(ctrain!.stroke);
      expect(await axisTitles(page.getByTestId('comparison-chart'))).toEqual(expect.arrayContaining(['step', 'loss (nats/token)']));

      // The charts' PNG export still draws them, axis titles included (they are part of the SVG).
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-comparison-png').click()]);
      const png = readFileSync(await download.path());
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      writeFileSync(join(SCREENSHOTS, 'charts-5-comparison-export.png'), png);

      // At 1280 px the table fits, or its container says that it scrolls and scrolls by keyboard.
      const region = page.locator('[role="region"]:has([data-testid="comparison-table"])');
      expect(await region.count()).toBe(1);
      expect(await region.getAttribute('aria-label')).toBeTruthy();
      const { overflows, widths } = await region.evaluate((e) => ({ overflows: e.scrollWidth > e.clientWidth + 1, widths: `${e.scrollWidth} px in ${e.clientWidth} px` }));
      const hint = page.getByTestId('comparison-view').getByTestId('scroll-hint');
      if (overflows) {
        expect(await hint.isVisible()).toBe(true);
        await scrollsByKeyboard(page, region);
      } else {
        expect(await hint.count()).toBe(0);
      }
      console.log(`comparison table at 1280 px: ${overflows ? 'scrolls, with its hint' : 'fits'} (${widths})`);
      await page.getByTestId('comparison-view').screenshot({ path: join(SCREENSHOTS, 'charts-3-comparison.png') });

      // At a phone's width the table scrolls, and says so; the page itself does not scroll sideways
      // (nor do the tooltips last shown in the wide layout widen it).
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      expect(await region.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
      expect(await hint.isVisible()).toBe(true);
      await scrollsByKeyboard(page, region);
      // After the keyboard's smooth scroll has ended.
      await page.waitForTimeout(500);
      await region.evaluate((e) => e.scrollTo({ left: 0 }));
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await region.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SCREENSHOTS, 'charts-4-table-phone.png') });

      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 600_000);
});
