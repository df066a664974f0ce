// Writes tiny random models in exact Hugging Face layout into test/fixtures/<name>/: config.json with
// the real model's keys, safetensors weights under the real tensor names (sharded with an index for
// llama32), and a shared byte-level BPE tokenizer with a ChatML chat template. Deterministic (seeded),
// so re-running reproduces the committed files byte for byte.
//
//   npx tsx scripts/make-fixtures.ts

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../src/engine/random';
import { SPECIAL_TOKENS, byteChars } from './corpus/byte-level';
import { CHAT_TEMPLATE, tokenizerJson } from './corpus/tokenizer-files';
import { frequentWords, unigramTokenizerFiles } from './corpus/unigram-tokenizer';
import { writeSafetensors, type TensorToWrite, type WritableDtype } from '../src/model/safetensors';
import { parseT5Config } from '../src/model/t5-config';
import { t5TensorShapes } from '../src/model/t5-load';

// A byte-level BPE tokenizer as GPT-2, SmolLM2 and Qwen2 use: three special tokens (ids 0-2, as in
// SmolLM2), the 256 byte tokens, then merges learned from a fixed English text.
const SPECIALS: string[] = [...SPECIAL_TOKENS];
const MERGES = 40;
const CORPUS =
  'The quick brown fox jumps over the lazy dog. The dog sleeps in the sun, and the fox runs into the ' +
  'forest. Hello world! There is a cat on the mat; the cat is there in the morning and in the evening. ' +
  'What is the answer? The answer is in the question, and the question is the answer.';

/** Learns merges the way BPE training does: repeatedly join the most frequent adjacent pair. */
function learnMerges(): Array<[string, string]> {
  const chars = byteChars();
  // GPT-2's pre-tokenizer pattern without the contraction branch: a word keeps its leading space.
  const words = (CORPUS.match(/ ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+/gu) ?? []).map((w) =>
    Array.from(new TextEncoder().encode(w), (b) => chars[b]),
  );
  const merges: Array<[string, string]> = [];
  while (merges.length < MERGES) {
    const counts = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.length; i++) counts.set(w[i] + ' ' + w[i + 1], (counts.get(w[i] + ' ' + w[i + 1]) ?? 0) + 1);
    // Most frequent first; ties broken by the pair's text so the result never depends on Map order.
    const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    const [left, right] = best.split(' ') as [string, string];
    merges.push([left, right]);
    for (const w of words) {
      for (let i = 0; i + 1 < w.length; i++) if (w[i] === left && w[i + 1] === right) w.splice(i, 2, left + right);
    }
  }
  return merges;
}

function buildTokenizerFiles(): { tokenizerJson: string; tokenizerConfig: string; size: number } {
  const merges = learnMerges();
  const tokens = [...SPECIALS, ...byteChars(), ...merges.map(([a, b]) => a + b)];
  const tokenizer = tokenizerJson({ tokens, merges });
  const size = new Set(tokens).size;
  const config = {
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(SPECIALS.map((content, id) => [String(id), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }])),
    additional_special_tokens: SPECIALS.slice(1),
    bos_token: SPECIALS[0],
    chat_template: CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: SPECIALS[0],
    model_max_length: 8192,
    pad_token: SPECIALS[0],
    tokenizer_class: 'GPT2Tokenizer',
    unk_token: SPECIALS[0],
  };
  return {
    tokenizerJson: JSON.stringify(tokenizer, null, 2) + '\n',
    tokenizerConfig: JSON.stringify(config, null, 2) + '\n',
    size,
  };
}

const TOKENIZER = buildTokenizerFiles();

const ROOT = join(import.meta.dirname, '..', 'test', 'fixtures');
const V = 320; // >= the tokenizer's size, rounded up as real models round their vocabularies
const EOS = 0; // <|endoftext|>

interface Tensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Weights uniform in ±0.1, norm weights 1 ± 0.1, embeddings ±0.5: logits are neither flat nor huge. */
function makeTensors(rng: Random, specs: Array<[name: string, shape: number[]]>): Tensor[] {
  return specs.map(([name, shape]) => {
    const n = shape.reduce((a, d) => a * d, 1);
    const isNormWeight = /(norm|ln_\d|ln_f)\.weight$/.test(name);
    const isEmbedding = /(embed_tokens|wte|wpe|shared)\.weight$/.test(name);
    const data = isNormWeight ? rng.floats(n, 0.9, 1.1) : rng.floats(n, isEmbedding ? -0.5 : -0.1, isEmbedding ? 0.5 : 0.1);
    return { name, shape, data };
  });
}

interface LlamaDims {
  C: number;
  L: number;
  Hq: number;
  Hkv: number;
  D: number;
  F: number;
  qkvBias: boolean;
  untied: boolean;
}

function llamaTensors(rng: Random, d: LlamaDims): Tensor[] {
  const specs: Array<[string, number[]]> = [['model.embed_tokens.weight', [V, d.C]]];
  for (let i = 0; i < d.L; i++) {
    const p = `model.layers.${i}`;
    specs.push([`${p}.input_layernorm.weight`, [d.C]]);
    specs.push([`${p}.self_attn.q_proj.weight`, [d.Hq * d.D, d.C]]);
    if (d.qkvBias) specs.push([`${p}.self_attn.q_proj.bias`, [d.Hq * d.D]]);
    specs.push([`${p}.self_attn.k_proj.weight`, [d.Hkv * d.D, d.C]]);
    if (d.qkvBias) specs.push([`${p}.self_attn.k_proj.bias`, [d.Hkv * d.D]]);
    specs.push([`${p}.self_attn.v_proj.weight`, [d.Hkv * d.D, d.C]]);
    if (d.qkvBias) specs.push([`${p}.self_attn.v_proj.bias`, [d.Hkv * d.D]]);
    specs.push([`${p}.self_attn.o_proj.weight`, [d.C, d.Hq * d.D]]);
    specs.push([`${p}.post_attention_layernorm.weight`, [d.C]]);
    specs.push([`${p}.mlp.gate_proj.weight`, [d.F, d.C]]);
    specs.push([`${p}.mlp.up_proj.weight`, [d.F, d.C]]);
    specs.push([`${p}.mlp.down_proj.weight`, [d.C, d.F]]);
  }
  specs.push(['model.norm.weight', [d.C]]);
  if (d.untied) specs.push(['lm_head.weight', [V, d.C]]);
  return makeTensors(rng, specs);
}

/** GPT-2's Conv1D weights are stored [in, out]; `attn.bias` is the causal-mask buffer real checkpoints carry. */
function gpt2Tensors(rng: Random, prefix: string, C: number, L: number, F: number, P: number, maskedBias: boolean): Tensor[] {
  const specs: Array<[string, number[]]> = [
    [`${prefix}wte.weight`, [V, C]],
    [`${prefix}wpe.weight`, [P, C]],
  ];
  for (let i = 0; i < L; i++) {
    const h = `${prefix}h.${i}`;
    specs.push([`${h}.ln_1.weight`, [C]], [`${h}.ln_1.bias`, [C]]);
    specs.push([`${h}.attn.c_attn.weight`, [C, 3 * C]], [`${h}.attn.c_attn.bias`, [3 * C]]);
    specs.push([`${h}.attn.c_proj.weight`, [C, C]], [`${h}.attn.c_proj.bias`, [C]]);
    specs.push([`${h}.ln_2.weight`, [C]], [`${h}.ln_2.bias`, [C]]);
    specs.push([`${h}.mlp.c_fc.weight`, [C, F]], [`${h}.mlp.c_fc.bias`, [F]]);
    specs.push([`${h}.mlp.c_proj.weight`, [F, C]], [`${h}.mlp.c_proj.bias`, [C]]);
  }
  specs.push([`${prefix}ln_f.weight`, [C]], [`${prefix}ln_f.bias`, [C]]);
  const tensors = makeTensors(rng, specs);
  const mask = new Float32Array(P * P);
  for (let r = 0; r < P; r++) for (let c = 0; c <= r; c++) mask[r * P + c] = 1;
  for (let i = 0; i < L; i++) {
    tensors.push({ name: `${prefix}h.${i}.attn.bias`, shape: [1, 1, P, P], data: mask });
    if (maskedBias) tensors.push({ name: `${prefix}h.${i}.attn.masked_bias`, shape: [], data: new Float32Array([-1e4]) });
  }
  return tensors;
}

function safetensors(tensors: Tensor[], dtype: WritableDtype): Uint8Array {
  const toWrite: TensorToWrite[] = tensors.map((t) => ({ ...t, dtype: t.name.endsWith('attn.bias') || t.name.endsWith('masked_bias') ? 'F32' : dtype }));
  return writeSafetensors(toWrite, { format: 'pt' });
}

function writeFixture(name: string, config: object, files: Record<string, Uint8Array | string>): void {
  const dir = join(ROOT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const all: Record<string, Uint8Array | string> = {
    'config.json': JSON.stringify(config, null, 2) + '\n',
    'tokenizer.json': TOKENIZER.tokenizerJson,
    'tokenizer_config.json': TOKENIZER.tokenizerConfig,
    ...files,
  };
  for (const [file, content] of Object.entries(all)) writeFileSync(join(dir, file), content);
}

// SmolLM2-135M's config keys (LlamaForCausalLM, tied, GQA 3:1), shrunk.
const smollm2Config = (dtype: string) => ({
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: EOS,
  eos_token_id: EOS,
  hidden_act: 'silu',
  hidden_size: 48,
  initializer_range: 0.041666666666666664,
  intermediate_size: 128,
  is_llama_config: true,
  max_position_embeddings: 8192,
  model_type: 'llama',
  num_attention_heads: 6,
  num_hidden_layers: 2,
  num_key_value_heads: 2,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_interleaved: false,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: dtype,
  transformers_version: '4.42.3',
  use_cache: true,
  vocab_size: V,
});
const smollm2 = llamaTensors(new Random(1), { C: 48, L: 2, Hq: 6, Hkv: 2, D: 8, F: 128, qkvBias: false, untied: false });
writeFixture('smollm2', smollm2Config('float32'), { 'model.safetensors': safetensors(smollm2, 'F32') });
writeFixture('smollm2-bf16', smollm2Config('bfloat16'), { 'model.safetensors': safetensors(smollm2, 'BF16') });

// Qwen2.5-0.5B's config keys (q/k/v biases, tied, GQA 4:1), stored F16.
writeFixture(
  'qwen2',
  {
    architectures: ['Qwen2ForCausalLM'],
    attention_dropout: 0.0,
    bos_token_id: EOS,
    eos_token_id: EOS,
    hidden_act: 'silu',
    hidden_size: 32,
    initializer_range: 0.02,
    intermediate_size: 96,
    max_position_embeddings: 32768,
    max_window_layers: 2,
    model_type: 'qwen2',
    num_attention_heads: 4,
    num_hidden_layers: 2,
    num_key_value_heads: 1,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000.0,
    sliding_window: 32768,
    tie_word_embeddings: true,
    torch_dtype: 'float16',
    transformers_version: '4.40.1',
    use_cache: true,
    use_mrope: false,
    use_sliding_window: false,
    vocab_size: V,
  },
  { 'model.safetensors': safetensors(llamaTensors(new Random(2), { C: 32, L: 2, Hq: 4, Hkv: 1, D: 8, F: 96, qkvBias: true, untied: false }), 'F16') },
);

// Llama-3.2's config keys (llama3 rope scaling, explicit head_dim), untied, in two shards.
{
  const tensors = llamaTensors(new Random(3), { C: 32, L: 2, Hq: 4, Hkv: 2, D: 8, F: 64, qkvBias: false, untied: true });
  const split = tensors.findIndex((t) => t.name.startsWith('model.layers.1.'));
  const shards = [tensors.slice(0, split), tensors.slice(split)];
  const files: Record<string, Uint8Array | string> = {};
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  shards.forEach((shard, k) => {
    const file = `model-0000${k + 1}-of-00002.safetensors`;
    files[file] = safetensors(shard, 'F32');
    for (const t of shard) {
      weightMap[t.name] = file;
      totalSize += 4 * t.data.length;
    }
  });
  const sortedMap = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : 1)));
  files['model.safetensors.index.json'] = JSON.stringify({ metadata: { total_size: totalSize }, weight_map: sortedMap }, null, 2) + '\n';
  writeFixture(
    'llama32',
    {
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      attention_dropout: 0.0,
      bos_token_id: EOS,
      eos_token_id: EOS,
      head_dim: 8,
      hidden_act: 'silu',
      hidden_size: 32,
      initializer_range: 0.02,
      intermediate_size: 64,
      max_position_embeddings: 131072,
      mlp_bias: false,
      model_type: 'llama',
      num_attention_heads: 4,
      num_hidden_layers: 2,
      num_key_value_heads: 2,
      pretraining_tp: 1,
      rms_norm_eps: 1e-5,
      rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
      rope_theta: 500000.0,
      tie_word_embeddings: false,
      torch_dtype: 'float32',
      transformers_version: '4.45.0.dev0',
      use_cache: true,
      vocab_size: V,
    },
    files,
  );
}

// gpt2's config keys; GPT2LMHeadModel's `transformer.`-prefixed names, tied head left out as
// save_pretrained does. The second variant has names without the prefix, an explicit n_inner and the
// older `masked_bias` buffers.
const gpt2Config = (nInner: number | null) => ({
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  attn_pdrop: 0.1,
  bos_token_id: EOS,
  embd_pdrop: 0.1,
  eos_token_id: EOS,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 64,
  n_embd: 32,
  n_head: 4,
  n_inner: nInner,
  n_layer: 2,
  n_positions: 64,
  resid_pdrop: 0.1,
  summary_activation: null,
  summary_first_dropout: 0.1,
  summary_proj_to_labels: true,
  summary_type: 'cls_index',
  summary_use_proj: true,
  task_specific_params: { 'text-generation': { do_sample: true, max_length: 50 } },
  torch_dtype: 'float32',
  vocab_size: V,
});
writeFixture('gpt2', gpt2Config(null), { 'model.safetensors': safetensors(gpt2Tensors(new Random(4), 'transformer.', 32, 2, 128, 64, false), 'F32') });
writeFixture('gpt2-noprefix', gpt2Config(64), { 'model.safetensors': safetensors(gpt2Tensors(new Random(5), '', 32, 2, 64, 64, true), 'F32') });

// T5ForConditionalGeneration's config keys, shrunk: v1.0 (ReLU, tied head, T5's default buckets)
// and v1.1 / Flan-T5 (gated GELU, untied head), each with heads · d_kv ≠ d_model and stacks of
// different depths, v1.1 in BF16 as Flan-T5 is published. The embedding is saved as `shared.weight`,
// as save_pretrained does. Their tokenizer is T5's kind: Unigram with <pad> = 0, </s> = 1, its words
// the most frequent of the T5 sentiment sample.
const t5Config = (v11: boolean) => ({
  architectures: ['T5ForConditionalGeneration'],
  d_ff: v11 ? 40 : 48,
  d_kv: 8,
  d_model: 32,
  decoder_start_token_id: 0,
  dense_act_fn: v11 ? 'gelu_new' : 'relu',
  dropout_rate: 0.1,
  eos_token_id: 1,
  feed_forward_proj: v11 ? 'gated-gelu' : 'relu',
  initializer_factor: 1.0,
  is_encoder_decoder: true,
  is_gated_act: v11,
  layer_norm_epsilon: 1e-6,
  model_type: 't5',
  num_decoder_layers: v11 ? 2 : 1,
  num_heads: v11 ? 4 : 3,
  num_layers: v11 ? 1 : 2,
  pad_token_id: 0,
  relative_attention_max_distance: v11 ? 20 : 128,
  relative_attention_num_buckets: v11 ? 8 : 32,
  tie_word_embeddings: !v11,
  torch_dtype: v11 ? 'bfloat16' : 'float32',
  vocab_size: V,
});
const T5_SAMPLE = readFileSync(join(ROOT, '..', '..', 'public', 'datasets', 'sentiment-t5.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as { prompt: string; completion: string });
const T5_TOKENIZER = unigramTokenizerFiles(frequentWords(T5_SAMPLE.map((r) => `${r.prompt} ${r.completion}`).join('\n')), V);
for (const [name, v11, seed] of [['t5', false, 6], ['t5-v1_1', true, 7]] as const) {
  const config = t5Config(v11);
  writeFixture(name, config, {
    'model.safetensors': safetensors(makeTensors(new Random(seed), t5TensorShapes(parseT5Config(config))), v11 ? 'BF16' : 'F32'),
    'tokenizer.json': T5_TOKENIZER.tokenizerJson,
    'tokenizer_config.json': T5_TOKENIZER.tokenizerConfig,
  });
}

console.log(`fixtures written to ${ROOT} (tokenizer: ${TOKENIZER.size} tokens, vocab_size ${V})`);
