// A T5 folder in the app: it loads as an encoder-decoder model, the T5 sample previews as encoder
// input → decoder labels, GoRA runs every phase with a rank map of encoder and decoder blocks, and the
// adapter downloads in PEFT's SEQ_2_SEQ_LM format with its model card; merged into the weights, it
// downloads as a model folder that loads back into the app.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOTS, launchChromium, serveApp } from './browser';

const T5_FOLDER = join(import.meta.dirname, '..', 'test', 'fixtures', 't5');

let app: Awaited<ReturnType<typeof serveApp>>;

beforeAll(async () => {
  app = await serveApp();
});

afterAll(async () => {
  await app?.close();
});

describe('a T5 folder in the app', () => {
  it('loads, trains GoRA on the T5 sample and downloads a SEQ_2_SEQ_LM adapter', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(app.url);
      await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
      await page.getByRole('tab', { name: 'Local folder' }).click();
      await page.getByLabel('model folder').setInputFiles(T5_FOLDER);
      await page.getByText('t5 (folder)').first().waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('model-info').textContent()).toContain('t5, 2 + 1 layers (encoder + decoder) × 32');
      await page.getByRole('button', { name: /Sentiment for T5/ }).click();
      await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('memory-estimate').textContent()).toMatch(/not estimated ahead for a t5 model/);
      // Nothing joins a prompt and its completion, and full training is not offered.
      expect(await page.getByTestId('seq2seq-note').isVisible()).toBe(true);
      expect(await page.getByTestId('method-full').isDisabled()).toBe(true);
      expect(await page.getByTestId('method-full').getAttribute('title')).toMatch(/full training is for decoder-only models/);
      for (const [key, value] of Object.entries({ steps: 4, batchSize: 4, scanBatches: 2, evalBatches: 1, generateSamples: 1 })) await page.getByTestId(`setting-${key}`).fill(String(value));
      await page.getByTestId('start-run').click();
      await page.waitForSelector('[data-testid="run-status"][data-status="done"], [data-testid="run-status"][data-status="error"]', { timeout: 600_000 });
      const error = await page.getByTestId('run-error').textContent().catch(() => null);
      expect(await page.getByTestId('run-status').getAttribute('data-status'), error ?? '').toBe('done');

      // The rank map has a row per encoder and decoder block, and a column per module of a block.
      const rows = await page.getByTestId('heatmap-rank').locator('[role="rowheader"]').allTextContents();
      expect(rows.map((r) => r.trim())).toEqual(['enc 0', 'enc 1', 'dec 0']);
      await page.screenshot({ path: join(SCREENSHOTS, 't5-done.png'), fullPage: true });

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-adapter').click()]);
      const zipPath = join(mkdtempSync(join(tmpdir(), 'gora-t5-zip-')), 'adapter.zip');
      await download.saveAs(zipPath);
      const files = unzipSync(readFileSync(zipPath));
      const config = JSON.parse(new TextDecoder().decode(files['adapter_config.json']));
      expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'SEQ_2_SEQ_LM', base_model_name_or_path: 't5' });
      expect(Object.keys(config.rank_pattern)).toContain('decoder.block.0.layer.1.EncDecAttention.q');
      expect(Object.keys(config.rank_pattern)).toContain('encoder.block.1.layer.1.DenseReluDense.wo');
      const card = new TextDecoder().decode(files['README.md']);
      expect(card).toContain('base = AutoModelForSeq2SeqLM.from_pretrained("t5")');

      // The merged model: a complete folder, which loads back into the app as a model.
      const [mergedDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-merged').click()]);
      const mergedZip = join(mkdtempSync(join(tmpdir(), 'gora-t5-merged-')), 'merged.zip');
      await mergedDownload.saveAs(mergedZip);
      const merged = unzipSync(readFileSync(mergedZip));
      expect(Object.keys(merged).sort()).toEqual(['t5-merged/README.md', 't5-merged/config.json', 't5-merged/model.safetensors', 't5-merged/tokenizer.json', 't5-merged/tokenizer_config.json']);
      expect(new TextDecoder().decode(merged['t5-merged/README.md'])).toContain('model = AutoModelForSeq2SeqLM.from_pretrained("path/to/this/folder")');
      const folder = mkdtempSync(join(tmpdir(), 'gora-t5-folder-'));
      mkdirSync(join(folder, 't5-merged'));
      for (const [name, bytes] of Object.entries(merged)) writeFileSync(join(folder, name), bytes);
      await page.getByLabel('model folder').setInputFiles(join(folder, 't5-merged'));
      await page.getByText('t5-merged (folder)').first().waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('model-info').textContent()).toContain('t5, 2 + 1 layers (encoder + decoder) × 32');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 600_000);

  it('offers the built-in gora-tiny-t5 beside gora-tiny', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const page = await context.newPage();
      await page.goto(app.url);
      await page.getByTestId('built-in-loaded').waitFor({ timeout: 60_000 });
      await page.getByTestId('use-gora-tiny-t5').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="built-in-loaded"]')?.textContent === 'gora-tiny-t5 is loaded.', null, { timeout: 60_000 });
      expect(await page.getByTestId('model-info').textContent()).toContain('t5, 2 + 2 layers (encoder + decoder) × 128');
      expect(await page.getByTestId('use-gora-tiny').isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });
});
