import { describe, expect, it } from 'vitest';
import { gora } from '../cli-runner';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '../engine/fixtures';
import { CSV_HEADER } from '../../src/compare/table';
import type { ComparisonReport } from '../../src/compare/report';
import { defaultConfig } from '../../src/train/config';



/** Forty labelled rows: enough for a validation split at the default fraction. */
function labelledData(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gora-compare-'));
  const file = join(dir, 'labels.jsonl');
  const rows = Array.from({ length: 40 }, (_, i) => JSON.stringify({ prompt: `item ${i} is`, completion: i % 2 ? ' odd' : ' even' }));
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

describe('gora compare', () => {
  it('refuses an unknown method, listing the valid ones, before touching the GPU', async () => {
    // No adapter can be found with this driver: the method is refused first all the same.
    const { code, stdout, stderr } = await gora(['compare', '--methods', 'gora,dora', '--seeds', '2'], { VK_DRIVER_FILES: '/no/such/icd.json' });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim()).toMatch(/^gora: unknown method "dora": valid methods are gora, lora(, [a-z-]+)*$/);
    const noMethods = await gora(['compare']);
    expect(noMethods.code).toBe(2);
    expect(noMethods.stderr).toMatch(/compare needs --methods/);
    const badSeeds = await gora(['compare', '--methods', 'lora', '--seeds', '0'], { VK_DRIVER_FILES: '/no/such/icd.json' });
    expect(badSeeds.code).toBe(2);
    expect(badSeeds.stderr).toMatch(/--seeds must be a whole number ≥ 1, got 0/);
    const badRate = await gora(['compare', '--methods', 'lora', '--lr', 'lora=fast'], { VK_DRIVER_FILES: '/no/such/icd.json' });
    expect(badRate.code).toBe(2);
    expect(badRate.stderr.trim()).toMatch(/^gora: --lr must be a rate or method=rate pairs such as gora=3e-4,lora=2e-3 \(methods: gora, lora, .*\), got "lora=fast"$/);
  });

  it('runs every method × seed and writes the table, compare.csv and compare.json', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gora-compare-out-'));
    const args = ['compare', '--model', fixturePath('smollm2'), '--data', labelledData(), '--methods', 'lora,gora', '--seeds', '2', '--seed', '5'];
    const settings = ['--steps', '3', '--batch-size', '2', '--seq-len', '16', '--scan-batches', '2', '--rank', '2', '--rank-min', '1', '--rank-max', '4', '--eval-every', '2'];
    const { code, stdout, stderr } = await gora([...args, ...settings, '--lr', 'gora=3e-3', '--out', out, '--json']);
    expect(code, stderr).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    const report = JSON.parse(lines.at(-1)!) as ComparisonReport;
    // The table first: its header, a rule, one row per method in the order asked for.
    expect(lines[0]).toMatch(/^method\s+runs\s+lr\s+validation loss\s+accuracy %/);
    expect(lines[2]).toMatch(/^LoRA\s+2\s/);
    expect(lines[3]).toMatch(/^GoRA\s+2\s/);
    expect(stderr).toMatch(/\[4\/4 GoRA seed 6\]/);

    expect(report.methods).toEqual(['lora', 'gora']);
    expect(report.seeds).toEqual([5, 6]);
    expect(report.runs.map((r) => `${r.method}:${r.seed}`)).toEqual(['lora:5', 'gora:5', 'lora:6', 'gora:6']);
    // GoRA at the rate asked for, LoRA at its own.
    expect(report.runs.map((r) => r.lr)).toEqual([defaultConfig('lora').lr, 3e-3, defaultConfig('lora').lr, 3e-3]);
    for (const run of report.runs) {
      expect(run.trainLoss.map((p) => p.step)).toEqual([1, 2, 3]);
      // An evaluation at step 2 and the final one.
      expect(run.validation.map((p) => p.step)).toEqual([2, 3]);
      expect(run.valLoss).toBe(run.validation.at(-1)!.loss);
      expect(run.accuracy).not.toBeNull();
      expect(run.peakBytes).toBeGreaterThan(0);
      expect(run.trainableParameters).toBeGreaterThan(0);
    }
    // The same budget: LoRA's uniform rank 2 trains what GoRA's r_ref = 2 targets.
    const lora = report.runs.find((r) => r.method === 'lora')!;
    const gora5 = report.runs.find((r) => r.method === 'gora')!;
    expect(lora.ranks).toBeNull();
    expect(gora5.ranks!.every((l) => l.rank >= 1 && l.rank <= 4)).toBe(true);
    // The seed changes the validation split, so the two seeds' runs differ.
    expect(report.runs[0].valLoss).not.toBe(report.runs[2].valLoss);

    const summary = report.summaries.find((s) => s.method === 'lora')!;
    const losses = report.runs.filter((r) => r.method === 'lora').map((r) => r.valLoss!);
    expect(summary.valLoss!.mean).toBeCloseTo((losses[0] + losses[1]) / 2, 12);
    expect(summary.valLoss!.sd).toBeCloseTo(Math.abs(losses[0] - losses[1]) / Math.SQRT2, 12);

    const csv = readFileSync(join(out, 'compare.csv'), 'utf8').trimEnd().split('\r\n');
    expect(csv[0]).toBe(CSV_HEADER.join(','));
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(['lora', 'gora']);
    expect(JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'))).toEqual(report);
  }, 120_000);
});
