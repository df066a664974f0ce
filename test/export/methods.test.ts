// Every adapter method end to end on a fixture: the job trains it, the PEFT export is read back, and
// applied to the ORIGINAL base weights it reproduces the trained model's logits and validation loss
// (for LoRA-GA and PiSSA through the rank-2r adapter [B, −B₀]·[A; A₀], since they trained on W − s·B₀A₀).

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDataset } from '../../src/data/prepare';
import { compareArrays } from '../../src/engine/compare';
import { uploadWeights } from '../../src/engine/load';
import { Transformer } from '../../src/engine/transformer';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, readPeftAdapter, withInitialSubtracted } from '../../src/export/peft';
import { runFiles } from '../../src/export/run-files';
import { defaultConfig, modifiesBaseWeights, needsScan, usesRsLoraScale, type JobConfig, type Method } from '../../src/train/config';
import { meanTokenLoss } from '../../src/train/evaluate';
import { subtractInitialAdapters } from '../../src/train/initialise';
import { runJob } from '../../src/train/job';
import type { InitialAdapter } from '../../src/train/adapters';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu } from '../gpu';
import { loadFixture } from '../engine/fixtures';

const DATA = readFileSync(join(import.meta.dirname, '..', 'datasets', 'sentiment.jsonl'), 'utf8');
const SETTINGS: Partial<JobConfig> = { steps: 3, batchSize: 2, seqLen: 48, rank: 8, scanBatches: 2, lr: 2e-3, evalEvery: 0, generateSamples: 0, valFraction: 0.2, checkpointEvery: 0 };

describe('withInitialSubtracted', () => {
  it('builds A′ = [A; A₀], B′ = [B, −B₀] with B′A′ = BA − B₀A₀ at the same scale', () => {
    const rng = new Random(4);
    const [m, n, r] = [5, 3, 2];
    const adapter = (): InitialAdapter => ({ rank: r, scale: 1.5, A: rng.floats(r * n), B: rng.floats(m * r) });
    const trained = adapter();
    const initial = adapter();
    const merged = withInitialSubtracted(new Map([['x', trained]]), new Map([['x', initial]])).get('x')!;
    expect(merged.rank).toBe(2 * r);
    expect(merged.scale).toBe(1.5);
    const product = (B: Float32Array, A: Float32Array, k: number) => Float64Array.from({ length: m * n }, (_, idx) => {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += B[Math.floor(idx / n) * k + p] * A[p * n + (idx % n)];
      return sum;
    });
    const want = product(trained.B, trained.A, r).map((x, i) => x - product(initial.B, initial.A, r)[i]);
    expectClose([compareArrays("B′A′ − (BA − B₀A₀)", product(merged.B, merged.A, 2 * r), want, 1e-6)]);
    expect(() => withInitialSubtracted(new Map([['x', trained]]), new Map())).toThrow(/no initial adapter for x/);
  });
});

describe('exported adapters of every method reproduce the trained model on the original weights', async () => {
  const gpu = await testGpu();
  const { model: opened } = await loadFixture('smollm2');

  const methods: Array<{ method: Method; overrides?: Partial<JobConfig> }> = [{ method: 'gora' }, { method: 'gora', overrides: { gammaAuto: true } }, { method: 'lora' }, { method: 'rslora' }, { method: 'lora-ga' }, { method: 'pissa' }];
  for (const { method, overrides } of methods) {
    it(`${method}${overrides?.gammaAuto ? ' (adaptive γ)' : ''}`, async () => {
      const config = { ...defaultConfig(method), ...SETTINGS, ...overrides };
      const data = prepareDataset(DATA, 'sentiment.jsonl', opened.tokenizer!, config);
      const phases: string[] = [];
      const result = await runJob({ gpu, model: opened, data, config, emit: (e) => e.type === 'phase' && e.status === 'start' && phases.push(e.phase) });
      // GoRA allocates ranks between its scan and its initialisation; LoRA-GA scans at one rank.
      const before = method === 'gora' ? ['scan', 'allocate'] : needsScan(method) ? ['scan'] : [];
      expect(phases).toEqual(['load', ...before, 'initialise', 'train', 'evaluate']);
      const { batchSize: B, seqLen: T } = config;
      const probe = data.valBatchAt(0);

      // The trained model as the job had it: W (less s·B₀A₀ for LoRA-GA and PiSSA) and the trained adapters.
      const trainedLogits = await withEngine(B, T, async (model) => {
        if (modifiesBaseWeights(method)) await subtractInitialAdapters(model, result.initial);
        for (const [name, a] of result.trained) model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
        return logits(model, probe);
      });

      const files = runFiles(result, opened, data, 'smollm2');
      const peftConfig = JSON.parse(new TextDecoder().decode(files.get(ADAPTER_CONFIG)));
      const adapters = await readPeftAdapter(files.get(ADAPTER_WEIGHTS)!, new TextDecoder().decode(files.get(ADAPTER_CONFIG)), opened.targets);
      expect(peftConfig.use_rslora).toBe(usesRsLoraScale(method));
      for (const t of opened.targets) {
        const trained = result.trained.get(t.name)!;
        const exported = adapters.get(t.name)!;
        const doubled = modifiesBaseWeights(method);
        expect(exported.rank).toBe(doubled ? 2 * trained.rank : trained.rank);
        expect(peftConfig.rank_pattern[t.module]).toBe(exported.rank);
        // PEFT's scale lora_alpha/√r or /r with the module's alpha_pattern entry is the trained s.
        expect(Math.abs(exported.scale - trained.scale)).toBeLessThan(1e-12 * trained.scale);
        expect(t.module in peftConfig.alpha_pattern).toBe(doubled);
      }

      // The model card names the base model, loads the adapter with PEFT, and lists every layer's
      // trained rank (a PEFT rank of 2r for LoRA-GA and PiSSA holds the subtracted initial adapter).
      const card = new TextDecoder().decode(files.get('README.md'));
      expect(card.startsWith('---\nbase_model: smollm2\nlibrary_name: peft\n')).toBe(true);
      expect(card).toContain('model = PeftModel.from_pretrained(base, "path/to/this/folder")');
      const rows = card.split('\n').filter((line) => /^\| \d+ \|/.test(line));
      expect(rows).toHaveLength(opened.spec.layers);
      for (const [layer, row] of rows.entries()) {
        const ranks = row.split('|').slice(2, -1).map((cell) => Number(cell.trim()));
        expect(ranks).toEqual(opened.targets.filter((t) => t.name.startsWith(`layers.${layer}.`)).map((t) => result.trained.get(t.name)!.rank));
      }
      expect(card).toMatch(/\| validation \| \d+\.\d{4}/);

      // The export on the ORIGINAL weights.
      const { exportedLogits, loss } = await withEngine(B, T, async (model) => {
        for (const [name, a] of adapters) model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
        return { exportedLogits: await logits(model, probe), loss: (await meanTokenLoss(model, data.val, data.layout)).loss };
      });
      const limit = Math.max(...trainedLogits.map(Math.abs));
      expectClose([compareArrays(`${method}: exported adapter on the original W against the trained model, logits`, exportedLogits, trainedLogits, 1e-5 * limit)]);
      // And against the job's own final evaluation (the engine that trained).
      expect(Math.abs(loss - result.final.loss)).toBeLessThan(1e-5 * result.final.loss);

      if (method === 'lora-ga') {
        // LoRA-GA's W compensates its initial adapter: the scan-batch loss is unchanged at step 0.
        const { baseLoss, initLoss } = result.initCheck!;
        expect(Math.abs(initLoss - baseLoss)).toBeLessThan(1e-5 * baseLoss);
      }
      if (overrides?.gammaAuto) {
        const search = result.gammaSearch!;
        expect(search.tried).toHaveLength(53);
        const finite = search.tried.filter((t) => Number.isFinite(t.loss));
        const best = finite.reduce((a, b) => (b.loss < a.loss ? b : a));
        expect(search.gamma).toBe(best.loss < search.baseLoss ? best.gamma : 0);
        // The initial adapters are the ones at the chosen γ: the first training batch's loss with them is the search's.
        const first = data.batchAt(data.schedule.positionAt(0));
        const firstLoss = await withEngine(B, T, async (model) => {
          for (const [name, a] of result.initial) model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
          model.setBatch(first.tokens, first.targets);
          await gpu.run('first batch', (enc) => model.forward(enc, null));
          return (await gpu.readF32(model.losses)).reduce((a, b) => a + b, 0) / first.count;
        });
        const want = search.gamma === 0 ? search.baseLoss : best.loss;
        console.log(`adaptive γ = ${search.gamma}: first-batch loss ${search.baseLoss.toFixed(5)} (base) → ${firstLoss.toFixed(5)}`);
        expect(Math.abs(firstLoss - want)).toBeLessThan(1e-5 * want);
      }
    });
  }

  async function withEngine<T>(B: number, T: number, body: (model: Transformer) => Promise<T>): Promise<T> {
    const weights = await uploadWeights(gpu, opened);
    const model = new Transformer(gpu, opened.spec, weights, { B, T });
    try {
      return await body(model);
    } finally {
      model.destroy();
      weights.forEach((b) => b.destroy());
    }
  }

  async function logits(model: Transformer, batch: { tokens: Uint32Array; targets: Int32Array }): Promise<Float32Array> {
    model.setBatch(batch.tokens, batch.targets);
    await gpu.run('logits', (enc) => model.forward(enc, null));
    return gpu.readF32(model.logits);
  }
});
