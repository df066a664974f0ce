// SmolLM2-135M's real shapes in the browser: its hub layout (random BF16 weights in two shards,
// scripts/scale-models.ts) downloaded from the hub stand-in into the page's cache, then one GoRA run
// at the smallest settings the app takes (one scan batch, one step of one row of 32 tokens, one
// validation batch, no generations) through every phase, and the adapter downloaded. On this
// machine's software GPU it takes minutes; the phase times are printed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { unzipSync } from 'fflate';
import { SCREENSHOTS, external, launchChromium, recordRequests, serveApp } from './browser';
import { startMockHub, type MockHub } from './hub-server';
import { SafetensorsFile } from '../src/model/safetensors';
import { memorySource } from '../src/model/bytes';
import { cachedScaleModel } from '../scripts/scale-models';

const MODEL_ID = 'test-scale/SmolLM2-135M';
const PHASES = ['load', 'scan', 'allocate', 'initialise', 'train', 'evaluate', 'export'];
const MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

let app: Awaited<ReturnType<typeof serveApp>>;
let hub: MockHub;

beforeAll(async () => {
  // Generated once into node_modules/.cache/gora-scale and reused (about 2 s to write 269 MB).
  const dir = cachedScaleModel('smollm2-135m');
  app = await serveApp();
  hub = await startMockHub({ [MODEL_ID]: dir });
});

afterAll(async () => {
  await app?.close();
  await hub?.close();
});

describe('a 135M-parameter model in the browser', () => {
  it('downloads SmolLM2-135M from the hub, scans, allocates, trains one step and exports its adapter', async () => {
    const started = performance.now();
    const elapsed = () => ((performance.now() - started) / 1000).toFixed(0) + ' s';
    const context = await launchChromium({ webgpu: true });
    const urls = recordRequests(context);
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(app.url);
      await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
      await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });

      await page.getByRole('tab', { name: 'Hugging Face' }).click();
      await page.getByTestId('hub-url').fill(hub.url);
      await page.getByTestId('hub-model-id').fill(MODEL_ID);
      await page.getByTestId('hub-load').click();
      await page.getByTestId('model-info').getByText(MODEL_ID).waitFor({ timeout: 300_000 });
      expect(await page.getByTestId('model-cache').textContent()).toBe('downloaded');
      expect(await page.getByTestId('model-info').textContent()).toContain('30 layers × 576');
      const shards = hub.requests.filter((r) => r.endsWith('.safetensors'));
      expect(shards.map((r) => r.split('/').pop())).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
      console.log(`135M: downloaded and opened after ${elapsed()}`);

      const settings = { steps: 1, scanBatches: 1, batchSize: 1, seqLen: 32, evalEvery: 0, evalBatches: 1, generateSamples: 0 };
      for (const [key, value] of Object.entries(settings)) await page.getByTestId(`setting-${key}`).fill(String(value));
      await page.getByTestId('setting-steps').focus();
      await page.getByTestId('memory-estimate').waitFor();
      // The checkpoint is BF16, so its linear weights stay 16-bit on the GPU unless another format is chosen.
      const formats = await page.getByTestId('setting-weights').locator('option').allTextContents();
      console.log(`135M: frozen-weight choices: ${formats.join(' | ')}`);
      expect(formats[0]).toMatch(/^the checkpoint's \(bf16, [\d.]+ MiB\)$/);
      console.log(`135M: ${await page.getByTestId('memory-estimate').textContent()}`);
      await page.getByTestId('start-run').click();

      const deadline = Date.now() + 1_200_000;
      const seen = new Map<string, string>();
      let rate: string | null = null;
      for (;;) {
        const status = await page.getByTestId('run-status').getAttribute('data-status');
        for (const phase of PHASES) {
          const state = (await page.getByTestId(`phase-${phase}`).getAttribute('data-status')) ?? '';
          if (seen.get(phase) !== state) {
            seen.set(phase, state);
            console.log(`135M: ${phase} ${state} at ${elapsed()}`);
          }
        }
        rate = (await page.getByTestId('load-rate').textContent({ timeout: 100 }).catch(() => null)) ?? rate;
        if (status === 'done' || status === 'error') break;
        if (Date.now() > deadline) throw new Error(`the run did not finish in time (phases: ${JSON.stringify(Object.fromEntries(seen))})`);
        await page.waitForTimeout(500);
      }
      const error = await page.getByTestId('run-error').textContent({ timeout: 1000 }).catch(() => null);
      expect(await page.getByTestId('run-status').getAttribute('data-status'), error ?? '').toBe('done');
      await page.screenshot({ path: join(SCREENSHOTS, 'scale-135m-done.png'), fullPage: true });
      for (const phase of PHASES) expect(await page.getByTestId(`phase-${phase}`).getAttribute('data-status'), phase).toBe('done');
      const times: string[] = [];
      for (const phase of PHASES) times.push(`${phase} ${await page.getByTestId(`phase-${phase}`).locator('.step-detail').first().textContent()}`);
      console.log(`135M: load progress last shown as "${rate}"; phase times: ${times.join(', ')}`);
      // The last progress seen is the download's (every file of the folder: 256.7 MiB) or, when a poll
      // falls inside it, the weight upload's (the weights alone: 256.6 MiB).
      expect(rate).toMatch(/MiB of 256\.[67] MiB · [\d.]+ MB\/s/);

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-adapter').click()]);
      const zipPath = join(mkdtempSync(join(tmpdir(), 'gora-zip-')), 'adapter.zip');
      await download.saveAs(zipPath);
      const files = unzipSync(readFileSync(zipPath));
      expect(Object.keys(files).sort()).toEqual(['README.md', 'adapter_config.json', 'adapter_model.safetensors', 'gora_report.json']);
      const report = JSON.parse(new TextDecoder().decode(files['gora_report.json']));
      expect(report.weights_dtype).toBe('bf16');
      const { estimate, peak_bytes: peak } = report.memory;
      console.log(`135M: GPU memory estimate ${estimate.total} B, measured peak ${peak} B`);
      expect(Math.abs(estimate.total / peak - 1)).toBeLessThan(0.1);
      const config = JSON.parse(new TextDecoder().decode(files['adapter_config.json']));
      expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', use_rslora: true });
      expect([...config.target_modules].sort()).toEqual([...MODULES].sort());
      // Every linear of every layer has its rank, and A [r, in] and B [out, r] under PEFT's names.
      const pattern = config.rank_pattern as Record<string, number>;
      expect(Object.keys(pattern)).toHaveLength(30 * 7);
      const weights = await SafetensorsFile.open(memorySource('adapter_model.safetensors', files['adapter_model.safetensors']));
      expect(weights.names()).toHaveLength(2 * 30 * 7);
      const outFeatures: Record<string, number> = { q_proj: 576, k_proj: 192, v_proj: 192, o_proj: 576, gate_proj: 1536, up_proj: 1536, down_proj: 576 };
      for (let layer = 0; layer < 30; layer++) {
        for (const m of MODULES) {
          const module = `model.layers.${layer}.${['gate_proj', 'up_proj', 'down_proj'].includes(m) ? 'mlp' : 'self_attn'}.${m}`;
          const rank = pattern[module];
          expect(rank, module).toBeGreaterThan(0);
          expect(weights.info(`base_model.model.${module}.lora_A.weight`).shape).toEqual([rank, m === 'down_proj' ? 1536 : 576]);
          expect(weights.info(`base_model.model.${module}.lora_B.weight`).shape).toEqual([outFeatures[m], rank]);
        }
      }
      expect(errors).toEqual([]);
      expect(external(urls)).toEqual([]);
      console.log(`135M: whole test ${elapsed()}`);
    } finally {
      await context.close();
    }
  }, 1_800_000);
});
