// Pretrains a small Llama-family model from scratch with the engine's full training and writes it as
// a Hugging Face model folder (config.json, model.safetensors, the tokenizer's files) plus
// training_log.json:
//
//   node --import tsx --import ./scripts/raw-import.mjs scripts/pretrain.ts \
//     --tokenizer DIR --corpus FILE --heldout FILE --out DIR \
//     [--hidden 256 --layers 4 --heads 8 --kv-heads 4 --intermediate 704 --seq-len 256 --batch-size 8 \
//      --lr 1e-3 --steps N --time-budget-minutes M --log-every 10 ...]   (--help lists every flag)
//
// The model is LlamaForCausalLM with tied embeddings, config.json in transformers' LlamaConfig layout,
// initialised as transformers does (src/train/full.ts initialWeights) from --seed. The corpus is
// plain text (blank lines separate paragraphs, framed with BOS/EOS as the tokenizer does), packed
// into rows of --seq-len tokens (src/data/prepare.ts). AdamW on every weight with linear warm-up and
// cosine decay (src/train/schedule.ts) and global-norm clipping. With --time-budget-minutes the step
// count is planned from the measured step time, so the cosine completes inside the budget; training
// stops early (and still saves) if the budget runs out anyway, or on Ctrl-C.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareDataset, type PreparedDataset } from '../src/data/prepare';
import type { TokenSequence } from '../src/data/tokenize';
import { AdapterOptimizer } from '../src/engine/optimizer';
import { Transformer } from '../src/engine/transformer';
import { fullModelFiles, readCompanionFiles } from '../src/export/full-model';
import { acquireNodeGpu } from '../src/gpu/node';
import { parseConfig } from '../src/model/config';
import { openModel } from '../src/model/load';
import { nodeModelFiles } from '../src/model/node-files';
import { loadTokenizer, type Tokenizer } from '../src/model/tokenizer';
import { specEntries } from '../src/model/weights';
import { meanTokenLoss } from '../src/train/evaluate';
import { decoderLayout } from '../src/data/layout';
import { fullParameterGroups, initialWeights, parameterCount, readModelWeights } from '../src/train/full';
import { learningRate } from '../src/train/schedule';

const NUMBERS = {
  hidden: 256,
  layers: 4,
  heads: 8,
  'kv-heads': 4,
  /** 0: 8/3 · hidden rounded up to a multiple of 32, Llama's MLP ratio. */
  intermediate: 0,
  'seq-len': 256,
  'batch-size': 8,
  'grad-accum': 1,
  lr: 1e-3,
  'min-lr-ratio': 0.1,
  /** Share of the planned steps spent warming up. */
  warmup: 0.05,
  /** AdamW's decoupled decay, applied to every tensor (the optimizer has one rate for all). */
  'weight-decay': 0.1,
  beta2: 0.95,
  'max-grad-norm': 1,
  /** 0: no step cap (only with --time-budget-minutes); the default without a budget is 1000. */
  steps: 0,
  'time-budget-minutes': 0,
  'log-every': 10,
  /** Held-out batches per evaluation; 0: all. */
  'heldout-batches': 0,
  seed: 0,
  'rope-theta': 10000,
  'max-positions': 2048,
  'init-std': 0.02,
  'rms-norm-eps': 1e-5,
};
type Settings = { [K in keyof typeof NUMBERS]: number } & { tokenizer: string; corpus: string; heldout: string; out: string };

/** The transformers release whose LlamaConfig.to_json_string() layout config.json follows. */
const TRANSFORMERS_VERSION = '4.46.3';

function fail(message: string): never {
  console.error(`pretrain: ${message}`);
  process.exit(2);
}

function parseSettings(argv: string[]): Settings {
  const options = Object.fromEntries([...Object.keys(NUMBERS), 'tokenizer', 'corpus', 'heldout', 'out'].map((k) => [k, { type: 'string' as const }]));
  const parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, strict: true });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    console.log(`usage: scripts/pretrain.ts --tokenizer DIR --corpus FILE --heldout FILE --out DIR\n${Object.entries(NUMBERS).map(([k, v]) => `  --${k} (default ${v})`).join('\n')}`);
    process.exit(0);
  }
  const s = { ...NUMBERS } as Settings;
  for (const key of Object.keys(NUMBERS) as Array<keyof typeof NUMBERS>) {
    const raw = values[key];
    if (typeof raw !== 'string') continue;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < 0) fail(`--${key} must be a number ≥ 0, got "${raw}"`);
    s[key] = value;
  }
  for (const key of ['tokenizer', 'corpus', 'heldout', 'out'] as const) {
    const raw = values[key];
    if (typeof raw !== 'string' || raw === '') fail(`--${key} is required`);
    s[key] = raw;
  }
  if (s.intermediate === 0) s.intermediate = Math.ceil((8 * s.hidden) / 3 / 32) * 32;
  if (s.steps === 0 && s['time-budget-minutes'] === 0) s.steps = 1000;
  for (const key of ['hidden', 'layers', 'heads', 'kv-heads', 'intermediate', 'seq-len', 'batch-size', 'grad-accum', 'log-every', 'max-positions'] as const) {
    if (!Number.isSafeInteger(s[key]) || s[key] < 1) fail(`--${key} must be a whole number ≥ 1, got ${s[key]}`);
  }
  if (s.hidden % s.heads !== 0) fail(`--hidden ${s.hidden} is not divisible by --heads ${s.heads}`);
  if (s.heads % s['kv-heads'] !== 0) fail(`--heads ${s.heads} is not divisible by --kv-heads ${s['kv-heads']}`);
  if (s['seq-len'] > s['max-positions']) fail(`--seq-len ${s['seq-len']} is above --max-positions ${s['max-positions']}`);
  if (!(s.lr > 0) || !(s.beta2 < 1) || !(s['max-grad-norm'] > 0) || !(s.warmup <= 1) || !(s['min-lr-ratio'] <= 1)) fail('--lr and --max-grad-norm must be > 0, --beta2 < 1, --warmup and --min-lr-ratio ≤ 1');
  return s;
}

/** config.json as transformers writes a LlamaConfig (keys sorted, as to_json_string does). */
function llamaConfig(s: Settings, tokenizer: Tokenizer): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: tokenizer.bosTokenId,
    eos_token_id: tokenizer.eosTokenId,
    head_dim: s.hidden / s.heads,
    hidden_act: 'silu',
    hidden_size: s.hidden,
    initializer_range: s['init-std'],
    intermediate_size: s.intermediate,
    max_position_embeddings: s['max-positions'],
    mlp_bias: false,
    model_type: 'llama',
    num_attention_heads: s.heads,
    num_hidden_layers: s.layers,
    num_key_value_heads: s['kv-heads'],
    pretraining_tp: 1,
    rms_norm_eps: s['rms-norm-eps'],
    rope_scaling: null,
    rope_theta: s['rope-theta'],
    tie_word_embeddings: true,
    torch_dtype: 'float32',
    transformers_version: TRANSFORMERS_VERSION,
    use_cache: true,
    vocab_size: tokenizer.vocabSize,
  };
}

function prepareText(file: string, tokenizer: Tokenizer, s: Settings): PreparedDataset {
  const text = readFileSync(file, 'utf8');
  return prepareDataset(text, basename(file), tokenizer, { seqLen: s['seq-len'], batchSize: s['batch-size'], seed: s.seed, valFraction: 0, format: 'text', packing: true });
}

const log = (message: string) => console.error(message);
const clock = (seconds: number) => `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;

async function main(): Promise<void> {
  const s = parseSettings(process.argv.slice(2));
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const budget = s['time-budget-minutes'] * 60;

  const tokenizerFiles = await nodeModelFiles(s.tokenizer);
  const tokenizer = (await loadTokenizer(tokenizerFiles)) ?? fail(`${s.tokenizer} has no tokenizer.json`);
  const companionFiles = await readCompanionFiles(tokenizerFiles);
  companionFiles.delete('generation_config.json');
  const config = llamaConfig(s, tokenizer);
  const spec = parseConfig(config);
  const entries = specEntries(spec);

  const corpus = prepareText(s.corpus, tokenizer, s);
  const heldoutRows: TokenSequence[] = prepareText(s.heldout, tokenizer, s).train;
  const pad = corpus.plan.pad;
  const rowTokens = (rows: readonly TokenSequence[]) => rows.reduce((sum, r) => sum + r.ids.length, 0);
  log(`data: corpus ${corpus.train.length} rows (${rowTokens(corpus.train)} tokens), held-out ${heldoutRows.length} rows (${rowTokens(heldoutRows)} tokens), prepared in ${elapsed().toFixed(1)} s`);

  const gpu = await acquireNodeGpu();
  const initial = initialWeights(entries, s['init-std'], s.seed);
  const buffers = new Map([...initial].map(([name, data]) => [name, gpu.upload(name, data)]));
  const model = new Transformer(gpu, spec, buffers, { B: s['batch-size'], T: s['seq-len'] });
  const optimizer = new AdapterOptimizer(gpu, fullParameterGroups(model), { beta2: s.beta2, weightDecay: s['weight-decay'], maxGradNorm: s['max-grad-norm'] });
  const parameters = parameterCount(initial);
  log(`model: ${parameters} parameters (hidden ${s.hidden}, ${s.layers} layers, ${s.heads}/${s['kv-heads']} heads, MLP ${s.intermediate}, vocab ${tokenizer.vocabSize}) on ${gpu.info.description || gpu.info.device || 'a GPU'}`);

  const heldoutLoss = async () => (await meanTokenLoss(model, heldoutRows, decoderLayout(s['batch-size'], s['seq-len'], pad), s['heldout-batches'])).loss;
  let evalSeconds = performance.now();
  const before = await heldoutLoss();
  evalSeconds = (performance.now() - evalSeconds) / 1000;
  log(`held-out loss before training: ${before.toFixed(4)} (${evalSeconds.toFixed(1)} s)`);

  let batchIndex = 0;
  /** One optimizer step over grad-accum micro-batches; returns the mean token loss. */
  const trainStep = async (step: number, lr: number): Promise<{ loss: number; tokens: number; targets: number }> => {
    const micro = Array.from({ length: s['grad-accum'] }, () => corpus.batchAt(corpus.schedule.positionAt(batchIndex++)));
    const count = micro.reduce((sum, b) => sum + b.count, 0);
    let lossSum = 0;
    for (const [k, batch] of micro.entries()) {
      model.setBatch(batch.tokens, batch.targets);
      await gpu.run(`pretrain step ${step}.${k}`, (enc) => {
        if (k === 0) optimizer.zeroGrad(enc);
        model.forward(enc, 1 / count);
        model.backward(enc);
        if (k === micro.length - 1) optimizer.step(enc, step + 1, lr);
      });
      lossSum += (await gpu.readF32(model.losses)).reduce((a, b) => a + b, 0);
    }
    return { loss: lossSum / count, tokens: micro.length * s['batch-size'] * s['seq-len'], targets: count };
  };

  // The time a step takes, measured on steps at lr 0 (which leave every weight as it is); the moments
  // they fill are cleared and the batches they used are used again.
  let stepSeconds = 0;
  let planned = s.steps;
  if (budget > 0) {
    await trainStep(0, 0);
    const t = performance.now();
    for (let i = 0; i < 3; i++) await trainStep(0, 0);
    stepSeconds = (performance.now() - t) / 3000;
    const zeros = Object.fromEntries(optimizer.groups.map((g) => [g.name, { m: new Float32Array(g.size), v: new Float32Array(g.size) }]));
    optimizer.loadState(zeros);
    batchIndex = 0;
    // Kept back: the final evaluation, and writing the model.
    const reserve = evalSeconds + 5 + 0.02 * budget;
    const fit = Math.max(1, Math.floor((budget - elapsed() - reserve) / stepSeconds));
    planned = s.steps > 0 ? Math.min(s.steps, fit) : fit;
    log(`time budget ${clock(budget)}: ${stepSeconds.toFixed(3)} s a step, so ${planned} steps are planned`);
  }

  let stopRequested = false;
  process.once('SIGINT', () => {
    stopRequested = true;
    log('interrupted: stopping after this step and saving');
  });
  const steps: Array<{ step: number; loss: number; lr: number }> = [];
  let tokensSeen = 0;
  let targetsSeen = 0;
  let stoppedBy: 'steps' | 'time-budget' | 'interrupt' = 'steps';
  const trainStart = performance.now();
  const trainSeconds = () => (performance.now() - trainStart) / 1000;
  for (let step = 0; step < planned; step++) {
    if (stopRequested) {
      stoppedBy = 'interrupt';
      break;
    }
    // Stop while one more step and the final evaluation still fit.
    const perStep = step > 0 ? trainSeconds() / step : stepSeconds;
    if (budget > 0 && elapsed() + perStep + evalSeconds + 5 > budget) {
      stoppedBy = 'time-budget';
      log(`time budget reached after ${step} of ${planned} steps`);
      break;
    }
    const lr = learningRate(step, { baseLr: s.lr, totalSteps: planned, warmupFraction: s.warmup, minRatio: s['min-lr-ratio'] });
    const result = await trainStep(step, lr);
    if (!Number.isFinite(result.loss)) fail(`the loss became ${result.loss} at step ${step}: lower --lr`);
    steps.push({ step: step + 1, loss: result.loss, lr });
    tokensSeen += result.tokens;
    targetsSeen += result.targets;
    if ((step + 1) % s['log-every'] === 0 || step === 0 || step + 1 === planned) {
      const recent = steps.slice(-s['log-every']);
      const mean = recent.reduce((a, r) => a + r.loss, 0) / recent.length;
      const rate = tokensSeen / trainSeconds();
      const eta = (trainSeconds() / (step + 1)) * (planned - step - 1);
      log(`step ${step + 1}/${planned}  loss ${mean.toFixed(4)}  lr ${lr.toExponential(2)}  ${Math.round(rate)} tokens/s  elapsed ${clock(elapsed())}  eta ${clock(eta)}`);
    }
  }
  const trainedSeconds = trainSeconds();

  const after = await heldoutLoss();
  log(`held-out loss: ${before.toFixed(4)} before, ${after.toFixed(4)} after ${steps.length} steps (${tokensSeen} tokens)`);
  const weights = await readModelWeights(model);
  optimizer.destroy();
  model.destroy();
  buffers.forEach((b) => b.destroy());
  gpu.destroy();

  mkdirSync(s.out, { recursive: true });
  const files = fullModelFiles({ config, entries, weights, companionFiles });
  const trainingLog = {
    settings: { ...s, planned_steps: planned, measured_step_seconds: stepSeconds || null },
    model: { parameters, vocab_size: tokenizer.vocabSize, config },
    data: {
      corpus: { file: s.corpus, rows: corpus.train.length, tokens: rowTokens(corpus.train), targets: corpus.stats.trainTargets, examples: corpus.stats.examples },
      heldout: { file: s.heldout, rows: heldoutRows.length, tokens: rowTokens(heldoutRows) },
    },
    heldout_loss: { before, after, batches: s['heldout-batches'] || Math.ceil(heldoutRows.length / s['batch-size']) },
    steps_done: steps.length,
    stopped_by: stoppedBy,
    tokens_seen: tokensSeen,
    targets_seen: targetsSeen,
    epochs_seen: (steps.length * s['grad-accum']) / corpus.batchesPerEpoch,
    train_seconds: trainedSeconds,
    tokens_per_second: tokensSeen / trainedSeconds,
    wall_seconds: elapsed(),
    steps,
  };
  files.set('training_log.json', new TextEncoder().encode(JSON.stringify(trainingLog, null, 2) + '\n'));
  for (const [name, bytes] of files) writeFileSync(join(s.out, name), bytes);
  // The folder must open as any model does; a mismatch between config and weights fails here.
  await openModel(await nodeModelFiles(s.out));
  log(`wrote ${[...files.keys()].join(', ')} to ${s.out} (${clock(elapsed())} in all)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
