import { describe, expect, it } from 'vitest';
import { gora, ROOT } from './cli-runner';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsFile } from '../src/model/safetensors';
import { memorySource } from '../src/model/bytes';
import { ReferenceT5 } from '../src/engine/ref/t5';
import { openT5, readT5Weights } from '../src/model/t5-load';
import { loadTokenizer } from '../src/model/tokenizer';
import { nodeModelFiles } from '../src/model/node-files';
import { ReferenceTransformer } from '../src/engine/ref/transformer';
import { compareArrays } from '../src/engine/compare';
import { fixturePath, loadFixture } from './engine/fixtures';
import { expectClose } from './gpu';
import { estimateMemory } from '../src/train/memory-estimate';



describe('the gora CLI', () => {
  it('info prints the adapter and its limits as JSON', async () => {
    const { code, stdout } = await gora(['info']);
    expect(code).toBe(0);
    const info = JSON.parse(stdout);
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(typeof info.features.shaderF16).toBe('boolean');
  });

  it('logits writes input_ids and logits that match the CPU reference', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gora-cli-')), 'logits.safetensors');
    const { code, stderr } = await gora(['logits', '--model', fixturePath('gpt2'), '--text', 'Hello, world.', '--out', out]);
    expect(code, stderr).toBe(0);
    const file = await SafetensorsFile.open(memorySource('logits.safetensors', readFileSync(out)));
    const ids = (await file.readTensor('input_ids')) as Int32Array;
    const logits = await file.readFloats('logits');
    const { model, weights } = await loadFixture('gpt2');
    expect([...ids]).toEqual(model.tokenizer!.encode('Hello, world.', { addSpecialTokens: true }));
    expect(file.info('logits').shape).toEqual([ids.length, model.spec.vocabSize]);
    const ref = new ReferenceTransformer(model.spec, new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)])), 1, ids.length);
    const want = ref.forward(ids, new Int32Array(ids.length).fill(-100)).logits;
    expectClose([compareArrays('CLI logits vs reference', logits, want, 1e-4 * Math.max(...want.map(Math.abs)))]);
  });

  it('logits on a T5 folder takes a target: input_ids end with </s>, decoder_input_ids are the labels shifted right, and the logits match the CPU reference', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gora-cli-')), 't5-logits.safetensors');
    const { code, stderr } = await gora(['logits', '--model', fixturePath('t5'), '--text', 'Hello, world.', '--target', 'positive', '--out', out]);
    expect(code, stderr).toBe(0);
    const file = await SafetensorsFile.open(memorySource('t5-logits.safetensors', readFileSync(out)));
    const inputIds = Array.from((await file.readTensor('input_ids')) as Int32Array);
    const decoderInputIds = Array.from((await file.readTensor('decoder_input_ids')) as Int32Array);
    const model = await openT5(await nodeModelFiles(fixturePath('t5')));
    const tokenizer = (await loadTokenizer(await nodeModelFiles(fixturePath('t5'))))!;
    // T5's tokenizer ends a sequence with </s> itself: the CLI adds none of its own.
    expect(inputIds).toEqual(tokenizer.encode('Hello, world.'));
    expect(inputIds.at(-1)).toBe(model.spec.eosTokenId);
    const labels = tokenizer.encode('positive');
    expect(labels.at(-1)).toBe(model.spec.eosTokenId);
    expect(decoderInputIds).toEqual([model.spec.decoderStartTokenId, ...labels.slice(0, -1)]);
    expect(file.info('logits').shape).toEqual([labels.length, model.spec.vocabSize]);
    const weights = await readT5Weights(model);
    const reference = new ReferenceT5(model.spec, new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)])));
    const want = reference.logits({ inputIds: Uint32Array.from(inputIds), attentionMask: new Uint8Array(inputIds.length).fill(1), decoderInputIds: Uint32Array.from(decoderInputIds) });
    expectClose([compareArrays('CLI T5 logits vs reference', await file.readFloats('logits'), want, 1e-4 * Math.max(...want.map(Math.abs)))]);
    // Without a target it says what is missing.
    const noTarget = await gora(['logits', '--model', fixturePath('t5'), '--text', 'Hello', '--out', out]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/this model is an encoder-decoder \(T5\): logits needs --target/);
  });

  it('generate streams the greedy continuation and, with --json, its ids: the CPU reference\'s greedy tokens', async () => {
    const run = await gora(['generate', '--model', fixturePath('gpt2'), '--prompt', 'Hello, world.', '--max-new-tokens', '6', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const result = JSON.parse(lines.at(-1)!);
    expect(Object.keys(result)).toEqual(['prompt_ids', 'generated_ids', 'text']);
    const { model, weights } = await loadFixture('gpt2');
    expect(result.prompt_ids).toEqual(model.tokenizer!.encode('Hello, world.', { addSpecialTokens: true }));
    // The reference re-runs the whole sequence for each token and takes the highest logit.
    const ids = [...result.prompt_ids];
    const want: number[] = [];
    const V = model.spec.vocabSize;
    while (want.length < 6) {
      const ref = new ReferenceTransformer(model.spec, new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)])), 1, ids.length);
      const last = [...ref.forward(Int32Array.from(ids), new Int32Array(ids.length).fill(-100)).logits.subarray((ids.length - 1) * V)];
      const next = last.indexOf(Math.max(...last));
      want.push(next);
      ids.push(next);
      if (next === model.tokenizer!.eosTokenId) break;
    }
    expect(result.generated_ids).toEqual(want);
    expect(lines.slice(0, -1).join('\n')).toBe(result.text);
    const sampled = await gora(['generate', '--model', fixturePath('gpt2'), '--prompt', 'Hello', '--temperature=-1']);
    expect(sampled.code).toBe(2);
    expect(sampled.stderr).toMatch(/temperature ≥ 0/);
  });

  it('refuses bad input with one line and exit code 2', async () => {
    const missing = await gora(['logits', '--model', '/no/such/folder', '--text', 'x', '--out', '/tmp/x.safetensors']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('gora: model folder not found: /no/such/folder');
    const unknown = await gora(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    const noGpu = await gora(['info'], { VK_DRIVER_FILES: '/no/such/icd.json' });
    expect(noGpu.code).toBe(2);
    expect(noGpu.stderr).toMatch(/^gora: No GPU adapter found\./m);
  });
});

describe('gora finetune and eval', () => {
  const data = join(ROOT, 'test', 'datasets', 'sentiment.jsonl');
  const small = ['--steps', '2', '--batch-size', '2', '--seq-len', '48', '--scan-batches', '2', '--generate', '0', '--eval-every', '0'];

  // qwen2's k and v projections have 8 outputs: LoRA-GA needs 2r ≤ 8.
  const extras: Record<string, string[]> = {
    gora: ['--save-init', '--save-scan'],
    lora: ['--save-init'],
    rslora: [],
    'lora-ga': ['--save-init', '--save-scan', '--rank', '4'],
    pissa: ['--rank', '4'],
  };
  for (const method of Object.keys(extras)) {
    it(`finetune --method ${method} writes the whole run directory, eval reads it back${method === 'lora' || method === 'rslora' ? '' : ', and merge writes a model that scores the same'}`, async () => {
      const out = mkdtempSync(join(tmpdir(), `gora-${method}-`));
      const extra = extras[method];
      const run = await gora(['finetune', '--model', fixturePath('qwen2'), '--data', data, '--method', method, '--out', out, ...small, ...extra]);
      expect(run.code, run.stderr).toBe(0);
      const expected = ['adapter_model.safetensors', 'adapter_config.json', 'gora_report.json', 'data_manifest.json', 'README.md'];
      if (extra.includes('--save-init')) expected.push('init_adapter.safetensors', 'init_adapter_config.json', 'continue_training.py');
      if (extra.includes('--save-scan')) expected.push('scan_gradients.safetensors');
      for (const file of expected) expect(existsSync(join(out, file)), file).toBe(true);
      const report = JSON.parse(readFileSync(join(out, 'gora_report.json'), 'utf8'));
      const evaluated = await gora(['eval', '--model', fixturePath('qwen2'), '--adapter', out, '--data', data]);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      const line = JSON.parse(evaluated.stdout);
      expect(Object.keys(line)).toEqual(['loss', 'accuracy', 'examples']);
      expect(Math.abs(line.loss - report.final.loss)).toBeLessThan(1e-5 * report.final.loss);
      // The adapter merged into the weights: a model folder of its own, which scores as the adapter does
      // (GoRA's, and LoRA-GA's and PiSSA's, which are relative to the original W).
      if (method === 'lora' || method === 'rslora') return;
      const merged = await gora(['merge', '--model', fixturePath('qwen2'), '--adapter', out, '--out', join(out, 'merged')]);
      expect(merged.code, merged.stderr).toBe(0);
      // Its card: how to load it without PEFT, and the adapter's training, results and ranks.
      const mergedCard = readFileSync(join(out, 'merged', 'README.md'), 'utf8');
      expect(mergedCard).toContain('# qwen2 with its adapter merged in');
      expect(mergedCard).toContain('## Ranks');
      const scored = await gora(['eval', '--model', join(out, 'merged'), '--data', data, '--seq-len', '48', '--batch-size', '2', '--split', 'val']);
      expect(scored.code, scored.stderr).toBe(0);
      expect(Math.abs(JSON.parse(scored.stdout).loss - report.final.loss)).toBeLessThan(1e-5 * report.final.loss);
    });
  }

  it('finetune --method gora on a T5 folder writes a SEQ_2_SEQ_LM adapter with PEFT names; eval and compare run on it; full training is refused', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gora-t5-'));
    const t5Data = join(out, 'sentiment-t5.jsonl');
    writeFileSync(t5Data, readFileSync(join(import.meta.dirname, '..', 'public', 'datasets', 'sentiment-t5.jsonl'), 'utf8').split('\n').slice(0, 80).join('\n'));
    const t5Small = ['--steps', '2', '--batch-size', '2', '--seq-len', '32', '--scan-batches', '2', '--eval-every', '0', '--generate', '1', '--max-new-tokens', '2'];
    const run = await gora(['finetune', '--model', fixturePath('t5'), '--data', t5Data, '--method', 'gora', '--out', join(out, 'run'), ...t5Small]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^GPU memory: not planned for a T5 model/m);
    const peft = JSON.parse(readFileSync(join(out, 'run', 'adapter_config.json'), 'utf8'));
    expect(peft.task_type).toBe('SEQ_2_SEQ_LM');
    expect(Object.keys(peft.rank_pattern)).toContain('decoder.block.0.layer.1.EncDecAttention.q');
    const report = JSON.parse(readFileSync(join(out, 'run', 'gora_report.json'), 'utf8'));
    const evaluated = await gora(['eval', '--model', fixturePath('t5'), '--adapter', join(out, 'run'), '--data', t5Data]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(Math.abs(JSON.parse(evaluated.stdout).loss - report.final.loss)).toBeLessThan(1e-5 * report.final.loss);
    const compared = await gora(['compare', '--model', fixturePath('t5'), '--data', t5Data, '--methods', 'gora,lora', '--out', join(out, 'compare'), ...t5Small]);
    expect(compared.code, compared.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'compare', 'compare.json'), 'utf8')).runs).toHaveLength(2);
    const full = await gora(['finetune', '--model', fixturePath('t5'), '--data', t5Data, '--method', 'full', '--out', join(out, 'full'), ...t5Small], { VK_DRIVER_FILES: '/no/such/icd.json' });
    expect(full.code).toBe(2);
    expect(full.stderr.trim()).toBe('gora: --method full: full training is for decoder-only models; a T5 model trains adapters (gora, lora, rslora, lora-ga, pissa)');
  });

  it('cuts the batch into micro-batches that fit --gpu-memory, and refuses a budget nothing fits', async () => {
    const { model } = await loadFixture('qwen2');
    // The plan's own dry run for a micro-batch of 2 (checkpoints counted as saved).
    const budget = estimateMemory(model.spec, 2, 48, { method: 'lora', rank: 8, checkpoints: true }).peak + 1;
    const out = mkdtempSync(join(tmpdir(), 'gora-plan-'));
    const args = ['finetune', '--model', fixturePath('qwen2'), '--data', data, '--method', 'lora', '--rank', '8', '--out', out, ...small, '--batch-size', '4'];
    const run = await gora([...args, '--gpu-memory', String(budget)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^GPU memory: about .* at peak \(weights .*\); micro-batch 2 × 2 accumulated, because a micro-batch of 4 rows does not fit/m);
    const report = JSON.parse(readFileSync(join(out, 'gora_report.json'), 'utf8'));
    expect([report.settings.batchSize, report.settings.gradAccum]).toEqual([2, 2]);
    // The report's estimate of the run as it ran, within 10 % of the peak the GPU measured.
    expect(Object.keys(report.memory.estimate)).toEqual(['weights', 'activations', 'scan_gradients', 'training', 'total']);
    expect(Math.abs(report.memory.estimate.total / report.memory.peak_bytes - 1)).toBeLessThan(0.1);
    const refused = await gora([...args, '--out', join(out, 'again'), '--gpu-memory', '1KB']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toMatch(/^gora: this run cannot fit on this GPU even one row at a time: it needs about .* above the 1000 B of GPU memory allowed/m);
  });

  it('refuses unknown methods and misplaced method settings with one line and exit code 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--method', 'dora'], /^gora: --method: Method must be one of gora, lora, rslora, lora-ga, pissa, full, got "dora"$/],
      [['--method', 'lora', '--gamma', 'auto'], /^gora: --gamma auto: Adaptive γ is GoRA's and needs the method gora, got lora$/],
      [['--gamma', 'big'], /^gora: --gamma: γ \(initial step\) must be a number ≥ 0 or auto, got "big"$/],
      [['--steps', '0'], /^gora: --steps: Steps must be a whole number ≥ 1, got 0$/],
      [['--method', 'full', '--weights', 'bf16'], /^gora: --weights: Full fine-tuning trains every weight and keeps them in f32: choose f32 for Frozen weights/],
      [['--method', 'pissa', '--save-scan'], /^gora: --save-scan needs --method gora or lora-ga \(pissa has no scan\)$/],
      [['--separator', 'tab'], /^gora: --separator: Separator must be one of space, newline, none, got "tab"$/],
    ];
    for (const [flags, message] of cases) {
      const run = await gora(['finetune', '--model', fixturePath('qwen2'), '--data', data, '--out', join(tmpdir(), 'never'), ...flags], { VK_DRIVER_FILES: '/no/such/icd.json' });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim()).toMatch(message);
    }
  });

  it('puts a space between a CSV question and its answer, and warns before any GPU work when --separator none runs them together', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gora-sums-')), 'sums.csv');
    writeFileSync(file, 'question,answer\n' + Array.from({ length: 30 }, (_, i) => `What is ${i} plus 4?,${i + 4}`).join('\n') + '\n');
    const finetune = (flags: string[]) => gora(['finetune', '--model', fixturePath('qwen2'), '--data', file, '--out', join(tmpdir(), 'never'), ...flags], { VK_DRIVER_FILES: '/no/such/icd.json' });
    const glued = await finetune(['--separator', 'none']);
    expect(glued.stderr).toContain('data: WARNING: all 30 examples run prompt and completion together with nothing between them ("…hat is 0 plus 4?4"): the model learns them as one word; choose the separator space or newline');
    for (const flags of [[], ['--separator', 'newline']]) {
      const run = await finetune(flags);
      expect(run.stderr).toMatch(/^data: 27 training rows/m);
      expect(run.stderr).not.toContain('together');
    }
    expect((await gora(['help'])).stdout).toMatch(/--separator space\|newline\|none\n\s+put between a prompt and its completion .*\n.*\n.*\(default space\)/);
  });

  it('refuses bad data with one line and exit code 2 before any GPU work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gora-bad-'));
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const cases: Array<[string, RegExp, string[]]> = [
      [write('bad.jsonl', '{"prompt": "a", "completion": "b"}\n{"prompt": "oops"\n'), /^gora: bad\.jsonl line 2: invalid JSON/, []],
      [write('cols.csv', 'question,answer\nhi,there\n'), /^gora: cols\.csv line 1: has no column "prompt"/, ['--prompt-column', 'prompt']],
      [write('empty.jsonl', ''), /^gora: empty\.jsonl: is empty/, []],
      [write('long.jsonl', JSON.stringify({ prompt: 'word '.repeat(200), completion: ' yes' }) + '\n'), /longer than the sequence length 64/, []],
    ];
    for (const [file, message, extra] of cases) {
      // No GPU driver: reaching the GPU would fail differently, so a data message proves the order.
      const run = await gora(['finetune', '--model', fixturePath('qwen2'), '--data', file, '--out', join(dir, 'out'), ...extra], { VK_DRIVER_FILES: '/no/such/icd.json' });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr.trim()).toMatch(message);
    }
  });
});
