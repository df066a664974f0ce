// Full fine-tuning end to end: the job trains every weight, the run exports a Hugging Face model
// folder, and that folder, opened again like any model, gives the job's final validation loss.

import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finetuneCommand } from '../../src/cli/finetune';
import { prepareDataset } from '../../src/data/prepare';
import { uploadWeights } from '../../src/engine/load';
import { Transformer } from '../../src/engine/transformer';
import { MODEL_CONFIG, MODEL_WEIGHTS, readCompanionFiles } from '../../src/export/full-model';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS } from '../../src/export/peft';
import { runFiles } from '../../src/export/run-files';
import { memoryFiles, memorySource, type ModelFiles } from '../../src/model/bytes';
import { openModel, type OpenedModel } from '../../src/model/load';
import { nodeModelFiles } from '../../src/model/node-files';
import { SafetensorsFile } from '../../src/model/safetensors';
import { defaultConfig } from '../../src/train/config';
import { meanTokenLoss } from '../../src/train/evaluate';
import { decoderLayout } from '../../src/data/layout';
import { parameterCount } from '../../src/train/full';
import { runJob } from '../../src/train/job';
import type { JobEvent } from '../../src/train/events';
import { testGpu } from '../gpu';
import { fixturePath, loadFixture } from '../engine/fixtures';

const DATA_FILE = join(import.meta.dirname, '..', 'datasets', 'sentiment.jsonl');
const DATA = readFileSync(DATA_FILE, 'utf8');
const SETTINGS = { steps: 3, batchSize: 2, seqLen: 32, lr: 2e-3, evalEvery: 0, generateSamples: 0, valFraction: 0.2, warmupFraction: 0 };

/** Validation loss of the model folder `files` on `rows`, with the engine. */
async function folderLoss(files: ModelFiles, pick: (opened: OpenedModel) => { rows: Parameters<typeof meanTokenLoss>[1]; pad: number }) {
  const gpu = await testGpu();
  const opened = await openModel(files);
  const weights = await uploadWeights(gpu, opened);
  const model = new Transformer(gpu, opened.spec, weights, { B: SETTINGS.batchSize, T: SETTINGS.seqLen });
  const { rows, pad } = pick(opened);
  const { loss } = await meanTokenLoss(model, rows, decoderLayout(SETTINGS.batchSize, SETTINGS.seqLen, pad));
  model.destroy();
  weights.forEach((b) => b.destroy());
  return { opened, loss };
}

describe('the full fine-tuning job', () => {
  // Tied head (smollm2), untied head from a sharded checkpoint (llama32), Conv1D weights, biases and
  // learned positions (gpt2).
  for (const arch of ['smollm2', 'llama32', 'gpt2']) {
    it(`${arch}: trains every weight and exports a model folder that reproduces its validation loss`, async () => {
      const gpu = await testGpu();
      const { model: base, weights: before } = await loadFixture(arch);
      const config = { ...defaultConfig('full'), ...SETTINGS };
      const data = prepareDataset(DATA, 'sentiment.jsonl', base.tokenizer!, config);
      const events: JobEvent[] = [];
      const result = await runJob({ gpu, model: base, data, config, emit: (e) => events.push(e) });

      expect(result.trained.size).toBe(0);
      expect(events.filter((e) => e.type === 'phase' && e.status === 'start').map((e) => (e as { phase: string }).phase)).toEqual(['load', 'initialise', 'train', 'evaluate']);
      expect(result.steps.at(-1)!.loss).toBeLessThan(result.steps[0].loss);
      // Every weight moved (AdamW's first step moves each value with a non-zero gradient by ≈ lr).
      expect([...result.weights!.keys()].sort()).toEqual([...before.keys()].sort());
      for (const [name, w] of result.weights!) expect(w.some((x, i) => x !== before.get(name)![i]), name).toBe(true);

      const files = runFiles(result, base, data, arch, { companionFiles: await readCompanionFiles(await nodeModelFiles(fixturePath(arch))) });
      expect([...files.keys()].sort()).toEqual([MODEL_CONFIG, 'README.md', 'data_manifest.json', 'gora_report.json', MODEL_WEIGHTS, 'tokenizer.json', 'tokenizer_config.json'].sort());
      // Its model card loads it as a model (no adapter), and says what it was fine-tuned from.
      const card = new TextDecoder().decode(files.get('README.md'));
      expect(card).toContain(`base_model: ${arch}`);
      expect(card).toContain('AutoModelForCausalLM.from_pretrained("path/to/this/folder")');
      expect(card).not.toContain('peft');
      expect(JSON.parse(new TextDecoder().decode(files.get(MODEL_CONFIG)))).toEqual(base.config);
      expect(files.get('tokenizer.json')).toEqual(new Uint8Array(readFileSync(join(fixturePath(arch), 'tokenizer.json'))));
      const report = JSON.parse(new TextDecoder().decode(files.get('gora_report.json')));
      expect(report.method).toBe('full');
      expect(report.budget.trainable_parameters).toBe(parameterCount(before));

      // The checkpoint keeps the source's names and layouts: one tensor per entry, nothing else.
      const saved = await SafetensorsFile.open(memorySource(MODEL_WEIGHTS, files.get(MODEL_WEIGHTS)!));
      expect(saved.names().sort()).toEqual(base.entries.map((e) => e.hfName).sort());
      expect(saved.metadata.format).toBe('pt');

      const { opened, loss } = await folderLoss(memoryFiles(files), () => ({ rows: data.val, pad: data.plan.pad }));
      expect(opened.entries).toEqual(base.entries);
      expect(Number.isFinite(result.final.loss)).toBe(true);
      expect(Math.abs(loss - result.final.loss)).toBeLessThan(1e-5 * result.final.loss);
    });
  }
});

describe('gora finetune --method full', () => {
  it('writes the model folder, report and manifest (no adapter), and the folder reproduces the final validation loss', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gora-full-'));
    const args = ['--model', fixturePath('qwen2'), '--data', DATA_FILE, '--method', 'full', '--out', out];
    for (const [flag, value] of Object.entries({ steps: 2, 'batch-size': 2, 'seq-len': 32, 'eval-every': 0, generate: 0, 'val-fraction': 0.2 })) args.push(`--${flag}`, String(value));
    await finetuneCommand(args);
    for (const name of [MODEL_CONFIG, MODEL_WEIGHTS, 'tokenizer.json', 'tokenizer_config.json', 'gora_report.json', 'data_manifest.json']) expect(existsSync(join(out, name)), name).toBe(true);
    for (const name of [ADAPTER_WEIGHTS, ADAPTER_CONFIG]) expect(existsSync(join(out, name)), name).toBe(false);
    const report = JSON.parse(readFileSync(join(out, 'gora_report.json'), 'utf8'));
    expect(report.method).toBe('full');
    // The re-opened folder's own tokenizer prepares the same validation rows.
    const config = { ...defaultConfig('full'), ...report.settings };
    const { loss } = await folderLoss(await nodeModelFiles(out), (opened) => {
      const data = prepareDataset(DATA, 'sentiment.jsonl', opened.tokenizer!, config);
      return { rows: data.val, pad: data.plan.pad };
    });
    expect(Math.abs(loss - report.final.loss)).toBeLessThan(1e-5 * report.final.loss);
  });

  it('refuses --save-init, which needs an adapter', async () => {
    const args = ['--model', fixturePath('qwen2'), '--data', DATA_FILE, '--method', 'full', '--out', mkdtempSync(join(tmpdir(), 'gora-full-')), '--save-init'];
    await expect(finetuneCommand(args)).rejects.toThrow(/--save-init needs an adapter method/);
  });
});
