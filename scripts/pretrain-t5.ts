// Pretrains a small T5 (v1.0 layout: ReLU feed-forward, tied embeddings) from scratch with the
// engine's full training, and writes it as a Hugging Face model folder (config.json in T5Config's
// layout, model.safetensors, the tokenizer's files) plus training_log.json:
//
//   node --import tsx --import ./scripts/raw-import.mjs scripts/pretrain-t5.ts \
//     --tokenizer DIR --corpus FILE --heldout FILE --out DIR [--d-model 128 --steps 1200 …]
//
// The objective is prefix language modelling, one of the T5 paper's: a window of the corpus is cut
// at a random point, the encoder reads the part before it and the decoder learns the tokens after
// it, ending with EOS. That teaches the encoder to represent a text and the decoder to write from
// it, which is what a text-to-text task (`sst2 sentence: …` → `positive`) needs. The corpus is
// the built-in model's (scripts/build-corpus.ts); documents are separated by <|endoftext|>.
// Weights are initialised as transformers' T5PreTrainedModel does (initializer_factor 1). AdamW on
// every weight with warm-up and cosine decay (src/train/schedule.ts) and global-norm clipping.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AdapterOptimizer } from '../src/engine/optimizer';
import { Random } from '../src/engine/random';
import { T5Model } from '../src/engine/t5-model';
import { acquireNodeGpu } from '../src/gpu/node';
import { nodeModelFiles } from '../src/model/node-files';
import { writeSafetensors } from '../src/model/safetensors';
import { parseT5Config, type T5Spec } from '../src/model/t5-config';
import { t5TensorShapes } from '../src/model/t5-load';
import { loadTokenizer } from '../src/model/tokenizer';
import { seq2seqBatchOf, type Seq2SeqIds } from '../src/data/seq2seq';
import type { TokenSequence } from '../src/data/tokenize';
import { learningRate } from '../src/train/schedule';

const NUMBERS = {
  'd-model': 128,
  'd-kv': 32,
  heads: 4,
  'd-ff': 512,
  layers: 2,
  'decoder-layers': 2,
  /** Encoder positions (the longest prefix) and decoder positions (continuation and EOS). */
  'source-len': 48,
  'target-len': 16,
  'batch-size': 8,
  lr: 2e-3,
  'min-lr-ratio': 0.1,
  warmup: 0.05,
  'weight-decay': 0.01,
  beta2: 0.95,
  'max-grad-norm': 1,
  steps: 1200,
  'log-every': 20,
  /** Characters of the corpus read (0: all): tokenising all of it takes minutes. */
  'corpus-chars': 4_000_000,
  'heldout-batches': 20,
  seed: 0,
};
type Settings = { [K in keyof typeof NUMBERS]: number } & { tokenizer: string; corpus: string; heldout: string; out: string };

function fail(message: string): never {
  console.error(`pretrain-t5: ${message}`);
  process.exit(2);
}

function parseSettings(argv: string[]): Settings {
  const options = Object.fromEntries([...Object.keys(NUMBERS), 'tokenizer', 'corpus', 'heldout', 'out'].map((k) => [k, { type: 'string' as const }]));
  const values = parseArgs({ args: argv, options, strict: true }).values as Record<string, string | undefined>;
  const s = { ...NUMBERS } as Settings;
  for (const key of Object.keys(NUMBERS) as Array<keyof typeof NUMBERS>) {
    const raw = values[key];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < 0) fail(`--${key} must be a number ≥ 0, got "${raw}"`);
    s[key] = value;
  }
  for (const key of ['tokenizer', 'corpus', 'heldout', 'out'] as const) s[key] = values[key] || fail(`--${key} is required`);
  return s;
}

/** config.json as transformers writes a T5Config (keys sorted). */
function t5Config(s: Settings, vocabSize: number, eos: number): Record<string, unknown> {
  return {
    architectures: ['T5ForConditionalGeneration'],
    d_ff: s['d-ff'],
    d_kv: s['d-kv'],
    d_model: s['d-model'],
    decoder_start_token_id: eos,
    dense_act_fn: 'relu',
    dropout_rate: 0.1,
    eos_token_id: eos,
    feed_forward_proj: 'relu',
    initializer_factor: 1.0,
    is_encoder_decoder: true,
    is_gated_act: false,
    layer_norm_epsilon: 1e-6,
    model_type: 't5',
    num_decoder_layers: s['decoder-layers'],
    num_heads: s.heads,
    num_layers: s.layers,
    pad_token_id: eos,
    relative_attention_max_distance: 128,
    relative_attention_num_buckets: 32,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
    transformers_version: '4.46.3',
    use_cache: true,
    vocab_size: vocabSize,
  };
}

/** transformers' T5 initialisation with factor 1: N(0, σ²) per tensor, norms at 1. */
function initialT5Weights(spec: T5Spec, seed: number): Map<string, Float32Array> {
  const rng = new Random(seed);
  const normal = (n: number, std: number) =>
    Float32Array.from({ length: n }, () => std * Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()));
  const { dModel: C, dKv: D, heads: H, dFF: F } = spec;
  const std = (name: string): number => {
    if (name === 'shared.weight') return 1;
    if (name.endsWith('relative_attention_bias.weight')) return C ** -0.5;
    if (/\.q\.weight$/.test(name)) return (C * D) ** -0.5;
    if (/\.(k|v|wi)\.weight$/.test(name)) return C ** -0.5;
    if (/\.o\.weight$/.test(name)) return (H * D) ** -0.5;
    if (/\.wo\.weight$/.test(name)) return F ** -0.5;
    return 0;
  };
  return new Map(t5TensorShapes(spec).map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return [name, name.endsWith('layer_norm.weight') ? new Float32Array(n).fill(1) : normal(n, std(name))];
  }));
}

/** Every window of the documents cut at a random point: prefix (mask 0) then continuation and EOS (mask 1). */
function prefixRows(documents: readonly number[][], s: Settings, eos: number, rng: Random): TokenSequence[] {
  const [S, T] = [s['source-len'], s['target-len']];
  const rows: TokenSequence[] = [];
  for (const doc of documents) {
    for (let at = 0; at + 8 < doc.length; at += S + T - 1) {
      const window = doc.slice(at, at + S + T - 1);
      const cut = Math.min(window.length - 1, Math.max(4, Math.round(rng.uniform(S / 3, S))));
      const source = [...window.slice(0, cut), eos];
      const target = [...window.slice(cut, cut + T - 1), eos];
      const ids = Uint32Array.from([...source, ...target]);
      const mask = new Uint8Array(ids.length).fill(1, source.length);
      rows.push({ ids, mask, kind: 'completion' });
    }
  }
  return rows;
}

const log = (message: string) => console.error(message);

async function main(): Promise<void> {
  const s = parseSettings(process.argv.slice(2));
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const tokenizer = (await loadTokenizer(await nodeModelFiles(s.tokenizer))) ?? fail(`${s.tokenizer} has no tokenizer.json`);
  const eos = tokenizer.eosTokenId ?? fail('the tokenizer names no EOS token');
  const config = t5Config(s, tokenizer.vocabSize, eos);
  const spec = parseT5Config(config);
  const ids: Seq2SeqIds = { eos, pad: eos, decoderStart: eos };

  const documents = (file: string, chars: number) => {
    const text = readFileSync(file, 'utf8');
    return (chars > 0 ? text.slice(0, chars) : text)
      .split('<|endoftext|>')
      .map((doc) => doc.trim())
      .filter((doc) => doc.length > 0)
      .map((doc) => tokenizer.encode(doc, { addSpecialTokens: false }));
  };
  const rng = new Random(s.seed ^ 0x5bd1e995);
  const train = prefixRows(documents(s.corpus, s['corpus-chars']), s, eos, rng);
  const heldout = prefixRows(documents(s.heldout, 0), s, eos, new Random(1));
  log(`data: ${train.length} training and ${heldout.length} held-out windows, tokenised in ${seconds().toFixed(1)} s`);

  const B = s['batch-size'];
  const shape = { B, S: s['source-len'] + 1, T: s['target-len'] };
  const batchOf = seq2seqBatchOf(ids, shape.B, shape.S, shape.T);
  const gpu = await acquireNodeGpu();
  const model = new T5Model(gpu, spec, initialT5Weights(spec, s.seed), shape);
  const { weights, gradients } = model.trackParameterGradients();
  const groups = [...weights].map(([name, param]) => ({ name, param, grad: gradients.get(name)!, size: param.size / 4, lrMultiplier: 1 }));
  const optimizer = new AdapterOptimizer(gpu, groups, { beta2: s.beta2, weightDecay: s['weight-decay'], maxGradNorm: s['max-grad-norm'] });
  const parameters = groups.reduce((sum, g) => sum + g.size, 0);
  log(`model: T5 with ${parameters} parameters (d_model ${spec.dModel}, ${spec.encoderLayers}+${spec.decoderLayers} layers, ${spec.heads} heads of ${spec.dKv}, d_ff ${spec.dFF}, vocab ${spec.vocabSize})`);

  const meanLoss = async (rows: readonly TokenSequence[]) => {
    let [sum, count] = [0, 0];
    for (let first = 0; first < Math.min(rows.length, s['heldout-batches'] * B); first += B) {
      const batch = batchOf(rows.slice(first, first + B));
      model.useBatch(batch);
      await gpu.run('held-out', (enc) => model.forward(enc, null));
      sum += (await gpu.readF32(model.losses)).reduce((a, b) => a + b, 0);
      count += batch.count;
    }
    return sum / count;
  };
  const before = await meanLoss(heldout);
  log(`held-out loss before training: ${before.toFixed(4)}`);

  const order = Array.from({ length: train.length }, (_, i) => i);
  const steps: Array<{ step: number; loss: number; lr: number }> = [];
  const trainStart = performance.now();
  for (let step = 0; step < s.steps; step++) {
    const epochAt = (step * B) % train.length;
    if (epochAt < B) for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const batch = batchOf(order.slice(epochAt, epochAt + B).map((i) => train[i]));
    const lr = learningRate(step, { baseLr: s.lr, totalSteps: s.steps, warmupFraction: s.warmup, minRatio: s['min-lr-ratio'] });
    model.useBatch(batch);
    await gpu.run(`pretrain step ${step + 1}`, (enc) => {
      optimizer.zeroGrad(enc);
      model.forward(enc, 1 / batch.count);
      model.backward(enc);
      optimizer.step(enc, step + 1, lr);
    });
    const loss = (await gpu.readF32(model.losses)).reduce((a, b) => a + b, 0) / batch.count;
    if (!Number.isFinite(loss)) fail(`the loss became ${loss} at step ${step + 1}: lower --lr`);
    steps.push({ step: step + 1, loss, lr });
    if ((step + 1) % s['log-every'] === 0 || step === 0) {
      const recent = steps.slice(-s['log-every']);
      const perStep = (performance.now() - trainStart) / 1000 / (step + 1);
      log(`step ${step + 1}/${s.steps}  loss ${(recent.reduce((a, r) => a + r.loss, 0) / recent.length).toFixed(4)}  lr ${lr.toExponential(2)}  ${perStep.toFixed(2)} s/step  eta ${Math.round(perStep * (s.steps - step - 1))} s`);
    }
  }
  const after = await meanLoss(heldout);
  log(`held-out loss after ${s.steps} steps: ${after.toFixed(4)} (before: ${before.toFixed(4)})`);

  mkdirSync(s.out, { recursive: true });
  const trained = await model.readWeights();
  writeFileSync(join(s.out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  writeFileSync(join(s.out, 'model.safetensors'), writeSafetensors([...trained].map(([name, data]) => ({ name, dtype: 'F32' as const, shape: t5TensorShapes(spec).find(([n]) => n === name)![1], data }))));
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(s.out, file), readFileSync(join(s.tokenizer, file)));
  const settings = Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'out'));
  writeFileSync(join(s.out, 'training_log.json'), JSON.stringify({ settings, parameters, heldout_loss: { before, after }, train_windows: train.length, seconds: Math.round(seconds()), steps }, null, 1) + '\n');
  log(`wrote ${s.out} in ${seconds().toFixed(0)} s`);
  model.destroy();
  optimizer.destroy();
  gpu.destroy();
}

await main();
