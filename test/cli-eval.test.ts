// `gora eval` never scores silently on rows an adapter trained on: it prints every setting it
// assumed and where from, refuses to guess the split without the run's report, and warns when the
// split it cuts is not the run's held-out one.

import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gora, ROOT } from './cli-runner';
import { fixturePath } from './engine/fixtures';

describe('gora eval says which settings it assumed', () => {
  const data = join(ROOT, 'test', 'datasets', 'sentiment.jsonl');
  const model = ['--model', fixturePath('qwen2'), '--data', data];
  let run = '';
  let bare = '';
  let report: { final: { loss: number } };

  beforeAll(async () => {
    run = mkdtempSync(join(tmpdir(), 'gora-eval-'));
    const trained = await gora(['finetune', ...model, '--method', 'lora', '--out', run, '--steps', '1', '--batch-size', '2', '--seq-len', '40', '--seed', '3', '--val-fraction', '0.25', '--generate', '0', '--eval-every', '0']);
    expect(trained.code, trained.stderr).toBe(0);
    report = JSON.parse(readFileSync(join(run, 'gora_report.json'), 'utf8'));
    // The same adapter without its report.
    bare = mkdtempSync(join(tmpdir(), 'gora-eval-bare-'));
    for (const name of ['adapter_model.safetensors', 'adapter_config.json']) copyFileSync(join(run, name), join(bare, name));
  }, 120_000);

  it("takes the run's settings from its report, names each source, and confirms the held-out split", async () => {
    const evaluated = await gora(['eval', ...model, '--adapter', run, '--batch-size', '4']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stderr).toContain('eval: seed 3 (gora_report.json), val-fraction 0.25 (gora_report.json), seq-len 40 (gora_report.json), batch-size 4 (flag), weights f16 (gora_report.json), separator space (gora_report.json)');
    expect(evaluated.stderr).toMatch(/^eval: scoring the \d+ validation rows the run held out/m);
    expect(evaluated.stderr).not.toContain('WARNING');
    expect(Math.abs(JSON.parse(evaluated.stdout).loss - report.final.loss)).toBeLessThan(1e-5 * report.final.loss);
  });

  it('joins the data as the run did: the separator its report names, the flag over it, and none for a report from before the setting', async () => {
    expect(report).toMatchObject({ settings: { separator: 'space' } });
    const flagged = await gora(['eval', ...model, '--adapter', run, '--separator', 'newline']);
    expect(flagged.code, flagged.stderr).toBe(0);
    expect(flagged.stderr).toContain('separator newline (flag)');
    const older = mkdtempSync(join(tmpdir(), 'gora-eval-older-'));
    for (const name of ['adapter_model.safetensors', 'adapter_config.json']) copyFileSync(join(run, name), join(older, name));
    const { separator: _, ...settings } = (report as unknown as { settings: Record<string, unknown> }).settings;
    writeFileSync(join(older, 'gora_report.json'), JSON.stringify({ ...report, settings }));
    const evaluated = await gora(['eval', ...model, '--adapter', older]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stderr).toContain('separator none (gora_report.json, from before the setting)');
    // The sample carries its own space before each label, so every separator scores the same rows.
    expect(Math.abs(JSON.parse(evaluated.stdout).loss - report.final.loss)).toBeLessThan(1e-5 * report.final.loss);
    expect(await gora(['eval', ...model, '--adapter', run, '--separator', 'comma'])).toMatchObject({ code: 2, stderr: 'gora: --separator: Separator must be one of space, newline, none, got "comma"\n' });
  });

  it('warns when a flag cuts another split than the run held out', async () => {
    const evaluated = await gora(['eval', ...model, '--adapter', run, '--seed', '4']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stderr).toContain("eval: WARNING: --seed 4 (the run's: 3) cut another split than the run's: these rows may include rows the adapter trained on");
  });

  it('refuses to guess the split of an adapter without its report, and says what to pass', async () => {
    const refused = await gora(['eval', ...model, '--adapter', bare]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`${bare} has no gora_report.json, so the rows the adapter trained on cannot be known: pass --split val with the --seed, --val-fraction and --seq-len`);
  });

  it('uses the flags it is given when there is no report, says so, and scores what the run held out when they match', async () => {
    const evaluated = await gora(['eval', ...model, '--adapter', bare, '--split', 'val', '--seed', '3', '--val-fraction', '0.25', '--seq-len', '40']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stderr).toContain('eval: seed 3 (flag), val-fraction 0.25 (flag), seq-len 40 (flag), batch-size 8 (default), weights f16 (the checkpoint\'s dtype), separator space (default)');
    expect(evaluated.stderr).toContain('eval: WARNING: without gora_report.json this split cannot be checked');
    expect(Math.abs(JSON.parse(evaluated.stdout).loss - report.final.loss)).toBeLessThan(1e-5 * report.final.loss);
  });

  it('warns that --split all scores training rows too', async () => {
    const evaluated = await gora(['eval', ...model, '--adapter', bare, '--split', 'all']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stderr).toContain('val-fraction 0 (--split all)');
    expect(evaluated.stderr).toContain('eval: WARNING: --split all scores every row, including the rows the adapter trained on');
  });

  it('names no seed or fraction for data that names its own splits', async () => {
    const named = join(mkdtempSync(join(tmpdir(), 'gora-eval-named-')), 'named.jsonl');
    const rows = ['train', 'train', 'validation', 'test', 'test'].map((split, i) => JSON.stringify({ prompt: `item ${i} is`, completion: i % 2 ? ' odd' : ' even', split }));
    writeFileSync(named, rows.join('\n') + '\n');
    const evaluated = await gora(['eval', '--model', fixturePath('qwen2'), '--data', named, '--split', 'test', '--seq-len', '16']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stderr).toContain('eval: splits named by the data, seq-len 16 (flag), batch-size 8 (default)');
    expect(JSON.parse(evaluated.stdout).examples).toBe(2);
  });
});
