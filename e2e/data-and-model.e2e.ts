// A CSV whose answers have no separator of their own ("What is 4 plus 4?" and "8") is previewed with
// the separator drawn where prompt and completion meet, the Separator setting changes it (and warns
// when it leaves them run together); and the built-in model downloads as one zip of its folder, so an
// adapter's base model "gora-tiny" can be found outside the app.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { unzipSync } from 'fflate';
import type { BrowserContext, Page } from 'playwright-core';
import { SCREENSHOTS, launchChromium, serveApp } from './browser';

const BUILT_IN = join(import.meta.dirname, '..', 'public', 'models', 'gora-tiny');

let app: Awaited<ReturnType<typeof serveApp>>;

beforeAll(async () => {
  app = await serveApp();
});

afterAll(async () => {
  await app?.close();
});

async function open(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(app.url);
  await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
  await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });
  return { page, errors };
}

/** The preview's rows as text, once every one of them reads as `expected` says. */
async function previewRows(page: Page, expected: RegExp): Promise<string[]> {
  await page.waitForFunction(
    (source) => {
      const rows = [...document.querySelectorAll('[data-testid="preview-row"]')];
      return rows.length > 0 && rows.every((row) => new RegExp(source).test(row.textContent ?? ''));
    },
    expected.source,
    { timeout: 30_000 },
  );
  return page.getByTestId('preview-row').allTextContents();
}

async function warnings(page: Page): Promise<string[]> {
  return page.getByTestId('dataset-warning').allTextContents();
}

describe('data and model', () => {
  it('previews a CSV with the separator drawn between question and answer, and changes it with the Separator setting', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const { page, errors } = await open(context);
      // The sentiment sample carries its own separator (` positive`): drawn the same way.
      expect(await previewRows(page, /\nSentiment:␣(positive|negative)<\|endoftext\|> · \d+ tokens$/)).toHaveLength(5);

      const file = join(mkdtempSync(join(tmpdir(), 'gora-sums-')), 'sums.csv');
      writeFileSync(file, 'question,answer\n' + Array.from({ length: 30 }, (_, i) => `What is ${i} plus 4?,${i + 4}`).join('\n') + '\n');
      await page.getByTestId('dataset-file').setInputFiles(file);

      // The default: a space, which starts the completion, drawn as ␣.
      expect(await page.getByTestId('setting-separator').inputValue()).toBe('space');
      const spaced = await previewRows(page, /^What is \d+ plus 4\?␣\d+<\|endoftext\|> · \d+ tokens$/);
      expect(spaced).toHaveLength(5);
      expect(await page.getByTestId('preview-separator').first().textContent()).toBe('␣');
      const sep = page.getByTestId('preview-separator').first();
      expect(await sep.evaluate((el) => el.closest('.completion') !== null)).toBe(true);
      expect(await sep.evaluate((el) => getComputedStyle(el).color)).not.toBe(await sep.evaluate((el) => getComputedStyle(el.closest('.completion')!).color));
      expect((await warnings(page)).some((w) => w.includes('together'))).toBe(false);
      await page.screenshot({ path: join(SCREENSHOTS, 'data-1-separator-space.png'), fullPage: true });

      // A new line ends the prompt: drawn as ↵, and still a line break.
      await page.getByTestId('setting-separator').selectOption('newline');
      const lines = await previewRows(page, /^What is \d+ plus 4\?↵\n\d+<\|endoftext\|> · \d+ tokens$/);
      expect(lines).toHaveLength(5);
      expect(await page.getByTestId('preview-separator').first().evaluate((el) => el.closest('.prompt') !== null)).toBe(true);
      await page.getByTestId('dataset-panel').screenshot({ path: join(SCREENSHOTS, 'data-2-separator-newline.png') });

      // None: question and answer run together, and the panel says so with the fix.
      await page.getByTestId('setting-separator').selectOption('none');
      await previewRows(page, /^What is \d+ plus 4\?\d+<\|endoftext\|> · \d+ tokens$/);
      expect(await page.getByTestId('preview-separator').count()).toBe(0);
      expect(await warnings(page)).toContain(
        'all 30 examples run prompt and completion together with nothing between them ("…hat is 0 plus 4?4"): the model learns them as one word; choose the separator space or newline',
      );
      await page.getByTestId('dataset-panel').screenshot({ path: join(SCREENSHOTS, 'data-3-separator-none.png') });

      // The choice is a setting like the others: it survives a reload.
      await page.reload();
      await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('setting-separator').inputValue()).toBe('none');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('downloads the built-in model as one zip of its folder: config.json, model.safetensors and the tokenizer, byte for byte', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const { page, errors } = await open(context);
      const button = page.getByTestId('download-built-in');
      expect(await button.textContent()).toBe('Download gora-tiny (zip)');
      await page.getByTestId('model-panel').screenshot({ path: join(SCREENSHOTS, 'model-1-download-built-in.png') });
      const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
      expect(download.suggestedFilename()).toBe('gora-tiny.zip');
      const zipPath = join(mkdtempSync(join(tmpdir(), 'gora-model-')), 'gora-tiny.zip');
      await download.saveAs(zipPath);
      const files = unzipSync(readFileSync(zipPath));
      expect(Object.keys(files).sort()).toEqual(['gora-tiny/README.md', 'gora-tiny/config.json', 'gora-tiny/model.safetensors', 'gora-tiny/tokenizer.json', 'gora-tiny/tokenizer_config.json']);
      for (const name of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'README.md']) {
        expect(Buffer.from(files[`gora-tiny/${name}`]).equals(readFileSync(join(BUILT_IN, name))), name).toBe(true);
      }
      expect(JSON.parse(new TextDecoder().decode(files['gora-tiny/config.json'])).architectures).toEqual(['LlamaForCausalLM']);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
