// The job on T5 folders, end to end: GoRA (and the other adapter methods) scan, allocate,
// initialise and train a T5 model through the same job as a decoder-only one; the run's files carry
// PEFT's names and task type; and the exported adapter, read back and applied to the ORIGINAL
// weights, reproduces the trained model's logits (for LoRA-GA and PiSSA through the rank-2r adapter
// that holds their subtracted initial adapter).

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDataset } from '../../src/data/prepare';
import { T5Model } from '../../src/engine/t5-model';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, readPeftAdapter } from '../../src/export/peft';
import { runFiles } from '../../src/export/run-files';
import { nodeModelFiles } from '../../src/model/node-files';
import { openAnyModel } from '../../src/model/open';
import { readT5Weights, type OpenedT5 } from '../../src/model/t5-load';
import { defaultConfig, modifiesBaseWeights, type JobConfig, type Method } from '../../src/train/config';
import { subtractInitialAdapters } from '../../src/train/initialise';
import { JobStopped, runJob } from '../../src/train/job';
import { readCheckpoint } from '../../src/train/checkpoint';
import { modelKind } from '../../src/train/model-kinds';
import type { Batch } from '../../src/data/batch';
import { testGpu } from '../gpu';
import { fixturePath } from '../engine/fixtures';

// The T5 sentiment sample's first 120 examples: enough for every split, quick to tokenise.
const DATA = readFileSync(join(import.meta.dirname, '..', '..', 'public', 'datasets', 'sentiment-t5.jsonl'), 'utf8').split('\n').slice(0, 120).join('\n');
const SETTINGS: Partial<JobConfig> = { steps: 3, batchSize: 2, seqLen: 40, rank: 4, scanBatches: 2, lr: 2e-3, evalEvery: 0, evalBatches: 2, generateSamples: 1, maxNewTokens: 3, checkpointEvery: 0 };

/** The logits [B·T, V] of a batch on the T5 model with these adapters (and, for LoRA-GA and PiSSA, W less the initial adapters). */
async function logitsWith(opened: OpenedT5, batch: Batch, attach: (model: T5Model) => Promise<void>): Promise<Float32Array> {
  const model = new T5Model(await testGpu(), opened.spec, await readT5Weights(opened));
  try {
    await attach(model);
    const source = batch.source!;
    return await model.logitsOf({ B: batch.batchSize, S: source.length, T: batch.seqLen, inputIds: source.ids, attentionMask: source.mask, decoderInputIds: batch.tokens });
  } finally {
    model.destroy();
  }
}

describe('the job on T5', async () => {
  const gpu = await testGpu();
  const runs: Array<{ fixture: string; method: Method }> = [
    { fixture: 't5', method: 'gora' },
    { fixture: 't5-v1_1', method: 'gora' },
    { fixture: 't5', method: 'lora' },
    { fixture: 't5-v1_1', method: 'pissa' },
  ];
  for (const { fixture, method } of runs) {
    it(`${method} on the ${fixture} fixture: PEFT names, SEQ_2_SEQ_LM, and the export reproduces the trained logits`, async () => {
      const opened = await openAnyModel(await nodeModelFiles(fixturePath(fixture)));
      if (opened.kind !== 't5') throw new Error('the fixture opened as a decoder-only model');
      const config = { ...defaultConfig(method), ...SETTINGS };
      const data = prepareDataset(DATA, 'sentiment-t5.jsonl', opened.tokenizer!, { ...config, seq2seq: modelKind(opened).seq2seq(opened)! });
      expect(data.labels?.labels).toEqual(['negative', 'positive']);
      const phases: string[] = [];
      const result = await runJob({ gpu, model: opened, data, config, keepScanGradients: method === 'gora', emit: (e) => e.type === 'phase' && e.status === 'start' && phases.push(e.phase) });
      expect(phases).toEqual(['load', ...(method === 'gora' ? ['scan', 'allocate'] : []), 'initialise', 'train', 'evaluate']);
      expect(result.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
      expect(result.final.accuracy).not.toBeNull();
      expect(result.generations).toHaveLength(1);
      if (method === 'gora') {
        // GoRA's initial adapter lowers the scan batches' loss: the gradient step it starts from.
        expect(result.initCheck!.initLoss).toBeLessThan(result.initCheck!.baseLoss);
        expect(new Set(result.allocation!.layers.map((l) => l.rank)).size).toBeGreaterThan(1);
      }

      const files = runFiles(result, opened, data, fixture, { saveScan: method === 'gora' });
      const configText = new TextDecoder().decode(files.get(ADAPTER_CONFIG));
      const peft = JSON.parse(configText);
      expect(peft.task_type).toBe('SEQ_2_SEQ_LM');
      const modules = opened.targets.map((t) => t.module);
      expect(modules).toContain('encoder.block.0.layer.0.SelfAttention.q');
      expect(modules).toContain('decoder.block.0.layer.1.EncDecAttention.v');
      expect(modules).toContain(`decoder.block.0.layer.2.DenseReluDense.${opened.spec.feedForward === 'relu' ? 'wi' : 'wi_1'}`);
      const doubled = modifiesBaseWeights(method);
      for (const t of opened.targets) expect(peft.rank_pattern[t.module]).toBe((doubled ? 2 : 1) * result.trained.get(t.name)!.rank);
      const report = JSON.parse(new TextDecoder().decode(files.get('gora_report.json')));
      expect(report.model.architecture).toBe('t5');
      expect(report.layers.map((l: { name: string }) => l.name)).toEqual(modules);
      const manifest = JSON.parse(new TextDecoder().decode(files.get('data_manifest.json')));
      expect(Object.keys(manifest.train[0])).toEqual(['input_ids', 'attention_mask', 'labels']);
      expect(manifest.train[0].input_ids[0]).toHaveLength(config.seqLen);
      expect(manifest.train[0].labels[0]).toHaveLength(data.targetLen);
      const card = new TextDecoder().decode(files.get('README.md'));
      expect(card).toContain(`base = AutoModelForSeq2SeqLM.from_pretrained("${fixture}")`);
      expect(card).toMatch(/\| encoder 0 \| \d+ \|/);
      expect(card).toMatch(/\| decoder 0 \|/);
      if (method === 'gora') {
        const scan = new TextDecoder().decode(files.get('scan_gradients.safetensors')!.subarray(8, 4000));
        expect(scan).toContain('"decoder.block.0.layer.1.EncDecAttention.k.weight"');
      }

      // The trained model as the job had it, and the export on the original weights.
      const probe = data.valBatchAt(0);
      const trained = await logitsWith(opened, probe, async (model) => {
        if (doubled) await subtractInitialAdapters(model, result.initial);
        for (const [name, a] of result.trained) model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
      });
      const adapters = await readPeftAdapter(files.get(ADAPTER_WEIGHTS)!, configText, opened.targets);
      const exported = await logitsWith(opened, probe, async (model) => {
        for (const [name, a] of adapters) model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
      });
      const base = await logitsWith(opened, probe, async () => {});
      const largest = Math.max(...trained.map(Math.abs));
      const worst = Math.max(...exported.map((v, i) => Math.abs(v - trained[i])));
      console.log(`${method} on ${fixture}: exported vs trained logits, max |Δ| / max |logit| = ${(worst / largest).toExponential(2)} (limit 1e-5)`);
      expect(worst).toBeLessThanOrEqual(1e-5 * largest);
      // And training did change the model.
      expect(Math.max(...base.map((v, i) => Math.abs(v - trained[i])))).toBeGreaterThan(1e-4 * largest);
    });
  }

  it('GoRA on T5 stopped after step 2 and resumed from its checkpoint takes the same steps as a run that never stopped', async () => {
    const opened = await openAnyModel(await nodeModelFiles(fixturePath('t5-v1_1')));
    const config = { ...defaultConfig('gora'), ...SETTINGS, steps: 4, generateSamples: 0 };
    const data = prepareDataset(DATA, 'sentiment-t5.jsonl', opened.tokenizer!, { ...config, seq2seq: modelKind(opened).seq2seq(opened)! });
    const straight = await runJob({ gpu, model: opened, data, config });
    let saved: Map<string, Uint8Array> | null = null;
    let steps = 0;
    const stopped = runJob({
      gpu,
      model: opened,
      data,
      config,
      emit: (e) => e.type === 'step' && steps++,
      control: {
        checkpoint: async () => {
          if (steps >= 2) throw new JobStopped();
        },
      },
      saveCheckpoint: async (files) => void (saved = files),
    });
    await expect(stopped).rejects.toBeInstanceOf(JobStopped);
    const checkpoint = await readCheckpoint(saved!);
    expect(checkpoint.step).toBe(2);
    const resumed = await runJob({ gpu, model: opened, data, config, resume: checkpoint });
    expect(resumed.allocation).toEqual(straight.allocation);
    expect(resumed.steps.map((s) => s.loss)).toEqual(straight.steps.map((s) => s.loss));
    for (const [name, a] of straight.trained) {
      const b = resumed.trained.get(name)!;
      expect(Math.max(...b.B.map((x, i) => Math.abs(x - a.B[i]))), name).toBeLessThanOrEqual(1e-6 * Math.max(...a.B.map(Math.abs), 1e-12));
    }
    expect(resumed.final.loss).toBeCloseTo(straight.final.loss, 6);
  });

  it('refuses full training, packing and plain text on a T5 model, saying why', async () => {
    const opened = await openAnyModel(await nodeModelFiles(fixturePath('t5')));
    const seq2seq = modelKind(opened).seq2seq(opened)!;
    const config = { ...defaultConfig('full'), ...SETTINGS };
    const data = prepareDataset(DATA, 'sentiment-t5.jsonl', opened.tokenizer!, { ...config, seq2seq });
    await expect(runJob({ gpu, model: opened, data, config })).rejects.toThrow(/full training is for decoder-only models/);
    expect(() => prepareDataset(DATA, 'sentiment-t5.jsonl', opened.tokenizer!, { ...config, seq2seq, packing: true })).toThrow(/turn packing off/);
    expect(() => prepareDataset('{"text": "just text"}\n', 'plain.jsonl', opened.tokenizer!, { ...config, seq2seq })).toThrow(/example 1 is plain text/);
  });
});
