import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cpSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { unzipSync } from 'fflate';
import type { BrowserContext, Page } from 'playwright-core';
import { SCREENSHOTS, external, launchChromium, prepareLoraRun, recordRequests, serveApp } from './browser';
import { startMockHub, type MockHub } from './hub-server';
import { SafetensorsFile } from '../src/model/safetensors';
import { memorySource } from '../src/model/bytes';

let app: Awaited<ReturnType<typeof serveApp>>;
let hub: MockHub;
const FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'smollm2');

beforeAll(async () => {
  app = await serveApp();
  // The same model without tokenizer.json: it opens, but cannot be fine-tuned.
  const noTokenizer = mkdtempSync(join(tmpdir(), 'gora-no-tokenizer-'));
  cpSync(FIXTURE, noTokenizer, { recursive: true });
  rmSync(join(noTokenizer, 'tokenizer.json'));
  hub = await startMockHub({ 'test-org/tiny-smollm2': FIXTURE, 'test-org/no-tokenizer': noTokenizer });
});

afterAll(async () => {
  await app?.close();
  await hub?.close();
});

async function open(context: BrowserContext, viewport = { width: 1280, height: 800 }): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(app.url);
  await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
  await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });
  return { page, errors };
}

async function setNumber(page: Page, key: string, value: number): Promise<void> {
  await page.getByTestId(`setting-${key}`).fill(String(value));
}

describe('the app', () => {
  it('reads in order on the first screen, with help for every setting and the memory and time next to Run', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const { page, errors } = await open(context);
      const headings = await page.locator('h2').allTextContents();
      expect(['1 · Model', '2 · Dataset', '3 · Method and settings', '4 · Run'].map((h) => headings.indexOf(h))).toEqual([0, 1, 2, 3]);
      // Every setting shown has a one-line help, tied to its control as its description.
      const controls = page.locator('[data-testid^="setting-"]');
      expect(await controls.count()).toBeGreaterThan(8);
      for (const control of await controls.all()) {
        const described = await control.getAttribute('aria-describedby');
        expect(described, await control.getAttribute('data-testid') ?? '').toBeTruthy();
        expect((await page.locator(`[id="${described}"]`).textContent())?.length).toBeGreaterThan(10);
      }
      expect(await page.getByTestId('run-summary').textContent()).toMatch(/^GoRA · 400 steps of 8 rows × 64 tokens · rank 16 · lr 2\.0e-4 · GPU memory about [\d.]+ MiB · time: measured after the first step$/);
      await page.screenshot({ path: join(SCREENSHOTS, 'app-11-first-screen.png') });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('runs GoRA on the built-in model and sample data through every phase, and exports a PEFT adapter', async () => {
    const context = await launchChromium({ webgpu: true });
    const urls = recordRequests(context);
    try {
      const { page, errors } = await open(context);
      await page.screenshot({ path: join(SCREENSHOTS, 'app-1-ready.png'), fullPage: true });
      // A short schedule: the software GPU here is slow.
      await setNumber(page, 'steps', 6);
      await setNumber(page, 'scanBatches', 2);
      await setNumber(page, 'batchSize', 4);
      await setNumber(page, 'evalBatches', 4);
      await page.getByTestId('start-run').click();

      const shot = new Set<string>();
      const deadline = Date.now() + 900_000;
      let paused = false;
      // What the page said about time while it ran: the whole run's estimate, the evaluation's progress.
      let estimate = '';
      let evaluating = '';
      for (;;) {
        const status = await page.getByTestId('run-status').getAttribute('data-status');
        if (!estimate && status === 'running') estimate = (await page.getByTestId('run-time').textContent().catch(() => '')) ?? '';
        if (/estimated after/.test(estimate)) estimate = '';
        if (!evaluating) evaluating = (await page.getByTestId('evaluate-progress').textContent({ timeout: 100 }).catch(() => '')) ?? '';
        for (const phase of ['scan', 'initialise', 'train', 'evaluate']) {
          const state = await page.getByTestId(`phase-${phase}`).getAttribute('data-status');
          if (state === 'running' && !shot.has(phase)) {
            shot.add(phase);
            await page.screenshot({ path: join(SCREENSHOTS, `app-2-phase-${phase}.png`), fullPage: true });
          }
        }
        if (status === 'done' || status === 'error') break;
        // Pause once mid-training: no step is taken while paused, and resume carries on.
        const step = Number((await page.getByTestId('train-step').textContent().catch(() => '0'))?.split('/')[0] ?? 0);
        if (!paused && step >= 2 && status === 'running') {
          paused = true;
          await page.getByTestId('pause-run').click();
          await page.waitForSelector('[data-testid="run-status"][data-status="paused"]', { timeout: 60_000 });
          const at = await page.getByTestId('train-step').textContent();
          await page.waitForTimeout(2_000);
          expect(await page.getByTestId('train-step').textContent()).toBe(at);
          await page.screenshot({ path: join(SCREENSHOTS, 'app-2-paused.png'), fullPage: true });
          await page.getByTestId('resume-run').click();
        }
        if (Date.now() > deadline) throw new Error('the run did not finish in time');
        await page.waitForTimeout(250);
      }
      const error = await page.getByTestId('run-error').textContent().catch(() => null);
      expect(await page.getByTestId('run-status').getAttribute('data-status'), error ?? '').toBe('done');
      expect(paused).toBe(true);
      await page.screenshot({ path: join(SCREENSHOTS, 'app-3-done.png'), fullPage: true });
      // Time: estimated once the first step was timed, evaluation counted in passes while it ran,
      // the measured share of evaluation at the end, and the next run's time next to Run.
      expect(estimate).toMatch(/^about .+ in all \(so far .+; ahead: training .+, evaluation .+\), estimated at step [15]$/);
      expect(evaluating).toMatch(/^(validation|test|generation) · \d+ of \d+ passes/);
      expect(await page.getByTestId('run-time').textContent()).toMatch(/^[\d.]+ (s|min).*, of it evaluation .+ \(\d+ %\)$/);
      expect(await page.getByTestId('run-summary').textContent()).toMatch(/GoRA · 6 steps of 4 rows × 64 tokens · rank 16 · lr 2\.0e-4 · GPU memory about [\d.]+ MiB · about .+ \(at the speed of the last run of gora-tiny \(built in\) here\)$/);

      // The rank chart and the loss curve rendered.
      expect(await page.getByTestId('heatmap-rank').locator('.heatmap-cell').count()).toBeGreaterThan(0);
      expect(await page.getByTestId('loss-chart').locator('path.recharts-curve').count()).toBeGreaterThan(0);
      for (const phase of ['load', 'scan', 'allocate', 'initialise', 'train', 'evaluate', 'export']) {
        expect(await page.getByTestId(`phase-${phase}`).getAttribute('data-status'), phase).toBe('done');
        // Each phase shows the time the job (or, for the export, the worker) measured for it.
        expect(await page.getByTestId(`phase-${phase}`).textContent(), phase).toMatch(/\d s$/);
      }
      // After the run the tile shows the run's own measured peak (not what the device holds now).
      expect(await page.getByTestId('gpu-memory').textContent()).toMatch(/^peak [\d.]+ MiB \(estimated [\d.]+ MiB\)$/);

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-adapter').click()]);
      const zipPath = join(mkdtempSync(join(tmpdir(), 'gora-zip-')), 'adapter.zip');
      await download.saveAs(zipPath);
      const files = unzipSync(readFileSync(zipPath));
      expect(Object.keys(files).sort()).toEqual(['README.md', 'adapter_config.json', 'adapter_model.safetensors', 'gora_report.json']);
      const config = JSON.parse(new TextDecoder().decode(files['adapter_config.json']));
      // The model card: the base model it names, and where that comes from (the built-in one downloads from the model panel).
      const card = new TextDecoder().decode(files['README.md']);
      expect(card).toContain('base_model: gora-tiny');
      expect(card).toContain('the app downloads gora-tiny from its model panel');
      expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', use_rslora: true, r: 16, lora_alpha: 16, base_model_name_or_path: 'gora-tiny' });
      const weights = await SafetensorsFile.open(memorySource('adapter_model.safetensors', files['adapter_model.safetensors']));
      for (const [module, rank] of Object.entries(config.rank_pattern as Record<string, number>)) {
        const a = weights.info(`base_model.model.${module}.lora_A.weight`).shape;
        const b = weights.info(`base_model.model.${module}.lora_B.weight`).shape;
        expect(a[0]).toBe(rank);
        expect(b[1]).toBe(rank);
      }
      expect(errors).toEqual([]);
      expect(external(urls)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('loads a model from a hub address, then from the cache with no download', async () => {
    const context = await launchChromium({ webgpu: true });
    const urls = recordRequests(context);
    try {
      const { page } = await open(context);
      await page.getByRole('tab', { name: 'Hugging Face' }).click();
      await page.getByTestId('hub-url').fill(hub.url);
      await page.getByTestId('hub-model-id').fill('test-org/tiny-smollm2');
      await page.getByTestId('hub-load').click();
      await page.getByText('test-org/tiny-smollm2').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('model-cache').textContent()).toBe('downloaded');
      const downloads = hub.requests.length;
      expect(downloads).toBeGreaterThanOrEqual(3);
      await page.screenshot({ path: join(SCREENSHOTS, 'app-4-hub.png'), fullPage: true });

      await page.reload();
      await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
      await page.getByRole('tab', { name: 'Hugging Face' }).click();
      await page.getByTestId('hub-load').click();
      await page.getByText('test-org/tiny-smollm2').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('model-cache').textContent()).toBe('local cache');
      expect(hub.requests.length).toBe(downloads);
      expect(external(urls)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('keeps the working model when another fails to load, and says so', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const { page } = await open(context);
      // The built-in model is loaded: no button offers to load it again.
      expect(await page.getByTestId('built-in-loaded').textContent()).toBe('gora-tiny is loaded.');
      await page.getByRole('tab', { name: 'Hugging Face' }).click();
      await page.getByTestId('hub-url').fill(hub.url);
      await page.getByTestId('hub-model-id').fill('test-org/no-tokenizer');
      await page.getByTestId('hub-load').click();
      const message = page.getByTestId('model-error');
      await message.waitFor({ timeout: 60_000 });
      expect(await message.textContent()).toBe('test-org/no-tokenizer could not be loaded: the model has no tokenizer.json, which fine-tuning needs. Still using gora-tiny (built in).');
      expect(await page.getByTestId('model-info').textContent()).toContain('gora-tiny (built in)');
      await page.getByTestId('dataset-stats').waitFor();
      expect(await page.getByTestId('start-run').isEnabled()).toBe(true);
      await page.screenshot({ path: join(SCREENSHOTS, 'app-7-failed-model.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('moves focus to the run status, announces phases, and says at once that a run is stopping, with Stop disabled, until it has', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const page = await context.newPage();
      await prepareLoraRun(page, app.url, { steps: 40, batchSize: 4, evalEvery: 0, generateSamples: 0 });
      // From the keyboard: focus moves from Run (now disabled) to the run's status, a live region.
      await page.getByTestId('start-run').focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'run-status', null, { timeout: 10_000 });
      expect(await page.getByTestId('run-status').getAttribute('aria-live')).toBe('polite');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-step"]')?.textContent?.split('/')[0] ?? 0) >= 1, null, { timeout: 300_000 });
      expect(await page.getByTestId('phase-announcement').textContent()).toBe('Train phase');
      // Read in the same task as the click: the worker cannot have answered yet.
      const seen = await page.evaluate(async () => {
        (document.querySelector('[data-testid="stop-run"]') as HTMLButtonElement).click();
        await Promise.resolve();
        const button = document.querySelector('[data-testid="stop-run"]') as HTMLButtonElement | null;
        return { status: document.querySelector('[data-testid="run-status"]')?.textContent, stop: button?.textContent, disabled: button?.disabled, pause: (document.querySelector('[data-testid="pause-run"]') as HTMLButtonElement | null)?.disabled };
      });
      expect(seen).toEqual({ status: 'LoRA r=16 · 40 steps: stopping at the next step…', stop: 'Stopping…', disabled: true, pause: true });
      await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') === 'stopped', null, { timeout: 120_000 });
      expect(await page.getByTestId('run-status').textContent()).toBe('LoRA r=16 · 40 steps: stopped');
    } finally {
      await context.close();
    }
  });

  it('shows the line number of a malformed JSONL line', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const { page } = await open(context);
      const file = join(mkdtempSync(join(tmpdir(), 'gora-bad-')), 'reviews.jsonl');
      writeFileSync(file, '{"prompt": "Review: fine\\nSentiment:", "completion": " positive"}\n{"prompt": broken\n');
      await page.getByTestId('dataset-file').setInputFiles(file);
      const message = page.getByTestId('dataset-error');
      await message.waitFor({ timeout: 30_000 });
      expect(await message.textContent()).toMatch(/reviews\.jsonl line 2: invalid JSON/);
      await page.screenshot({ path: join(SCREENSHOTS, 'app-5-bad-data.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('checks the settings as they are typed: each problem at its field, Run off with the reasons until they are fixed', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const { page } = await open(context);
      await setNumber(page, 'steps', 0);
      await setNumber(page, 'rankMin', 20);
      await setNumber(page, 'rankMax', 8);
      expect(await page.getByTestId('problem-steps').textContent()).toMatch(/^Steps must be/);
      expect(await page.getByTestId('problem-rankMin').textContent()).toBe('Min rank (20) is above Max rank (8)');
      expect(await page.getByTestId('start-run').isDisabled()).toBe(true);
      const blocked = await page.getByTestId('run-blocked').textContent();
      expect(blocked).toMatch(/^Run needs valid settings: Steps must be .*; Min rank \(20\) is above Max rank \(8\)$/);
      await page.screenshot({ path: join(SCREENSHOTS, 'app-9-bad-settings.png'), fullPage: true });
      await setNumber(page, 'steps', 5);
      await setNumber(page, 'rankMax', 32);
      expect(await page.getByTestId('start-run').isEnabled()).toBe(true);
      expect(await page.getByTestId('run-blocked').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('keeps the scan while the reviewed ranks are invalid: the problem is said and Train waits for valid values', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const { page, errors } = await open(context);
      for (const [key, value] of Object.entries({ steps: 2, scanBatches: 2, batchSize: 4, evalBatches: 1, generateSamples: 0 })) await setNumber(page, key, value);
      await page.getByLabel('Pause after the scan to tune ranks').check();
      await page.getByTestId('start-run').click();
      await page.getByTestId('allocation-review').waitFor({ timeout: 300_000 });
      await page.getByTestId('review-rankMin').fill('20');
      await page.getByTestId('review-rankMax').fill('8');
      expect(await page.getByTestId('review-problem').textContent()).toBe("r_min (20) is above r_max (8); the chart shows the scan's own allocation until the values can run");
      expect(await page.getByTestId('continue-run').isDisabled()).toBe(true);
      await page.screenshot({ path: join(SCREENSHOTS, 'app-10-bad-review.png'), fullPage: true });
      await page.getByTestId('review-rankMax').fill('32');
      expect(await page.getByTestId('review-problem').count()).toBe(0);
      await page.getByTestId('continue-run').click();
      await page.waitForSelector('[data-testid="run-status"][data-status="done"], [data-testid="run-status"][data-status="error"]', { timeout: 300_000 });
      expect(await page.getByTestId('run-status').getAttribute('data-status')).toBe('done');
      expect(await page.getByTestId('setting-rankMin').inputValue()).toBe('20');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('warns of a validation split too small to measure, naming the fix', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const { page } = await open(context);
      const file = join(mkdtempSync(join(tmpdir(), 'gora-small-')), 'sums.csv');
      writeFileSync(file, 'prompt,completion\n' + Array.from({ length: 10 }, (_, i) => `What is ${i} plus ${i}?,${2 * i}`).join('\n') + '\n');
      await page.getByTestId('dataset-file').setInputFiles(file);
      const warning = page.getByTestId('dataset-warning');
      await warning.waitFor({ timeout: 30_000 });
      expect(await warning.textContent()).toBe('only 1 validation example: one example moves accuracy by 100 %; raise the validation fraction or add examples');
      await page.screenshot({ path: join(SCREENSHOTS, 'app-8-small-data.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('fits a phone screen (390×844) without sideways scrolling', async () => {
    const context = await launchChromium({ webgpu: true });
    try {
      const { page } = await open(context, { width: 390, height: 844 });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(390);
      // Touch targets: every checkbox at least 24 × 24 px.
      const boxes = await page.locator('input[type="checkbox"]').evaluateAll((inputs) => inputs.map((i) => i.getBoundingClientRect()).map((r) => Math.min(r.width, r.height)));
      expect(boxes.length).toBeGreaterThan(0);
      expect(Math.min(...boxes)).toBeGreaterThanOrEqual(24);
      await page.screenshot({ path: join(SCREENSHOTS, 'app-6-phone.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
