// config.json -> ModelSpec for the architectures the engine runs. Optional fields take the defaults
// of transformers' LlamaConfig, Qwen2Config and GPT2Config (plus PretrainedConfig's
// tie_word_embeddings=True where the subclass does not override it); the dimensions that define the
// network are required, since transformers' fallbacks (a 7B model's) never match a small checkpoint.
// Anything the engine would compute differently from transformers is refused with the field named.

import { ModelFormatError } from './errors';
import type { Llama3RopeScaling, ModelSpec, RopeSpec } from './spec';

const FILE = 'config.json';

type Json = Record<string, unknown>;

function fail(detail: string): never {
  throw new ModelFormatError(FILE, detail);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field that must be a positive integer; `fallback` when absent or null (undefined: required). */
function positiveInt(c: Json, key: string, fallback?: number): number {
  const value = c[key] ?? fallback;
  if (value === undefined) fail(`"${key}" is missing`);
  if (!Number.isSafeInteger(value) || (value as number) <= 0) fail(`"${key}" must be a positive integer, got ${JSON.stringify(value)}`);
  return value as number;
}

function positiveNumber(c: Json, key: string, fallback: number): number {
  const value = c[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(`"${key}" must be a positive number, got ${JSON.stringify(value)}`);
  return value;
}

function boolean(c: Json, key: string, fallback: boolean): boolean {
  const value = c[key] ?? fallback;
  if (typeof value !== 'boolean') fail(`"${key}" must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** A token id field: null, an id, or (Llama 3 instruct's eos_token_id) a list whose first id is taken. */
function tokenId(c: Json, key: string, fallback: number | null, vocabSize: number): number | null {
  let value = key in c ? c[key] : fallback;
  if (Array.isArray(value)) value = value.length > 0 ? value[0] : null;
  if (value === null || value === undefined) return null;
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) >= vocabSize) {
    fail(`"${key}" must be a token id below vocab_size ${vocabSize}, got ${JSON.stringify(c[key])}`);
  }
  return value as number;
}

function requireDivides(what: string, divisor: number, dividend: number): void {
  if (dividend % divisor !== 0) fail(`${what}: ${dividend} is not divisible by ${divisor}`);
}

/** Each supported model_type's parser: config.json → ModelSpec, refusing what the engine does not compute. */
const PARSERS: Record<string, (c: Json) => ModelSpec> = {
  llama: (c) => parseLlamaLike(c, LLAMA_CONFIG),
  qwen2: (c) => parseLlamaLike(c, QWEN2_CONFIG),
  gpt2: parseGpt2,
};

export const SUPPORTED_MODEL_TYPES = Object.keys(PARSERS);

export function parseConfig(json: unknown): ModelSpec {
  if (!isObject(json)) fail('is not a JSON object');
  const modelType = json.model_type;
  if (typeof modelType !== 'string') fail('"model_type" is missing');
  const parse = Object.hasOwn(PARSERS, modelType) ? PARSERS[modelType] : null;
  if (!parse) fail(`model_type "${modelType}" is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
  return parse(json);
}

/** Where LlamaConfig and Qwen2Config differ: their defaults, biases and the options refused. */
interface LlamaLikeConfig {
  modelType: 'llama' | 'qwen2';
  maxPositions: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
  qkvBias: boolean;
  /** Boolean options that must be false (the engine does not implement them), with why. */
  refused: Record<string, string>;
}

const LLAMA_CONFIG: LlamaLikeConfig = {
  modelType: 'llama',
  maxPositions: 2048,
  bosTokenId: 1,
  eosTokenId: 2,
  qkvBias: false,
  // Llama may put biases on every attention and MLP projection; no supported checkpoint does.
  refused: { attention_bias: 'biases on q/k/v/o', mlp_bias: 'biases on the MLP projections' },
};

const QWEN2_CONFIG: LlamaLikeConfig = {
  modelType: 'qwen2',
  maxPositions: 32768,
  bosTokenId: null,
  eosTokenId: null,
  qkvBias: true,
  refused: { use_sliding_window: 'sliding-window attention' },
};

/** LlamaForCausalLM (SmolLM, TinyLlama, Llama 3.x) and Qwen2ForCausalLM (Qwen2, Qwen2.5). */
function parseLlamaLike(c: Json, type: LlamaLikeConfig): ModelSpec {
  const { modelType } = type;
  const hiddenAct = c.hidden_act ?? 'silu';
  if (hiddenAct !== 'silu') fail(`"hidden_act" must be "silu" for ${modelType}, got ${JSON.stringify(hiddenAct)}`);
  for (const [key, what] of Object.entries(type.refused)) if (boolean(c, key, false)) fail(`"${key}": true is not supported (${what})`);
  const vocabSize = positiveInt(c, 'vocab_size');
  const hiddenSize = positiveInt(c, 'hidden_size');
  const heads = positiveInt(c, 'num_attention_heads');
  const kvHeads = positiveInt(c, 'num_key_value_heads', heads);
  requireDivides('"num_attention_heads" by "num_key_value_heads"', kvHeads, heads);
  // transformers: head_dim = getattr(config, "head_dim", hidden_size // num_attention_heads)
  if (c.head_dim == null) requireDivides('"hidden_size" by "num_attention_heads"', heads, hiddenSize);
  const headDim = positiveInt(c, 'head_dim', hiddenSize / heads);
  return {
    architecture: modelType,
    modelType,
    vocabSize,
    hiddenSize,
    layers: positiveInt(c, 'num_hidden_layers'),
    heads,
    kvHeads,
    headDim,
    intermediateSize: positiveInt(c, 'intermediate_size'),
    maxPositions: positiveInt(c, 'max_position_embeddings', type.maxPositions),
    norm: 'rms',
    normEps: positiveNumber(c, 'rms_norm_eps', 1e-6),
    mlp: 'swiglu',
    rope: parseRope(c),
    qkvBias: type.qkvBias,
    projBias: false,
    tiedEmbeddings: boolean(c, 'tie_word_embeddings', false),
    bosTokenId: tokenId(c, 'bos_token_id', type.bosTokenId, vocabSize),
    eosTokenId: tokenId(c, 'eos_token_id', type.eosTokenId, vocabSize),
  };
}

/**
 * `rope_theta` + `rope_scaling` (transformers 4.x), or `rope_parameters` (transformers 5, which
 * holds rope_theta too). Only the default rotation and Llama 3's frequency scaling are supported.
 */
function parseRope(c: Json): RopeSpec {
  const parameters = isObject(c.rope_parameters) ? c.rope_parameters : null;
  const scaling = c.rope_scaling ?? parameters;
  const theta = c.rope_theta ?? parameters?.rope_theta ?? 10000;
  if (typeof theta !== 'number' || !(theta > 0)) fail(`"rope_theta" must be a positive number, got ${JSON.stringify(theta)}`);
  if (scaling === null || scaling === undefined) return { theta, scaling: null };
  const field = c.rope_scaling != null ? 'rope_scaling' : 'rope_parameters';
  if (!isObject(scaling)) fail(`"${field}" must be an object or null`);
  const type = scaling.rope_type ?? scaling.type ?? 'default';
  if (type === 'default') return { theta, scaling: null };
  if (type !== 'llama3') fail(`"${field}" type ${JSON.stringify(type)} is not supported (supported: default, llama3)`);
  const number = (key: string): number => {
    const value = scaling[key];
    if (typeof value !== 'number' || !(value > 0)) fail(`"${field}.${key}" must be a positive number, got ${JSON.stringify(value)}`);
    return value;
  };
  const llama3: Llama3RopeScaling = {
    type: 'llama3',
    factor: number('factor'),
    lowFreqFactor: number('low_freq_factor'),
    highFreqFactor: number('high_freq_factor'),
    originalMaxPositions: number('original_max_position_embeddings'),
  };
  if (llama3.highFreqFactor <= llama3.lowFreqFactor) fail(`"${field}.high_freq_factor" must exceed low_freq_factor`);
  return { theta, scaling: llama3 };
}

/** GPT2LMHeadModel (gpt2, distilgpt2, and models trained with its code). */
function parseGpt2(c: Json): ModelSpec {
  // gelu_new and gelu_pytorch_tanh are the same tanh approximation; plain "gelu" is the erf form.
  const activation = c.activation_function ?? 'gelu_new';
  if (activation !== 'gelu_new' && activation !== 'gelu_pytorch_tanh') {
    fail(`"activation_function" ${JSON.stringify(activation)} is not supported (supported: gelu_new, gelu_pytorch_tanh)`);
  }
  // Attention variants GPT2Config can switch on, which the engine does not implement.
  if (!boolean(c, 'scale_attn_weights', true)) fail('"scale_attn_weights": false is not supported');
  if (boolean(c, 'scale_attn_by_inverse_layer_idx', false)) fail('"scale_attn_by_inverse_layer_idx": true is not supported');
  if (boolean(c, 'reorder_and_upcast_attn', false)) fail('"reorder_and_upcast_attn": true is not supported');
  if (boolean(c, 'add_cross_attention', false)) fail('"add_cross_attention": true is not supported');
  const vocabSize = positiveInt(c, 'vocab_size');
  const hiddenSize = positiveInt(c, 'n_embd');
  const heads = positiveInt(c, 'n_head');
  requireDivides('"n_embd" by "n_head"', heads, hiddenSize);
  return {
    architecture: 'gpt2',
    modelType: 'gpt2',
    vocabSize,
    hiddenSize,
    layers: positiveInt(c, 'n_layer'),
    heads,
    kvHeads: heads,
    headDim: hiddenSize / heads,
    intermediateSize: positiveInt(c, 'n_inner', 4 * hiddenSize),
    maxPositions: positiveInt(c, 'n_positions'),
    norm: 'layer',
    normEps: positiveNumber(c, 'layer_norm_epsilon', 1e-5),
    mlp: 'gelu',
    rope: null,
    qkvBias: true,
    projBias: true,
    tiedEmbeddings: boolean(c, 'tie_word_embeddings', true),
    bosTokenId: tokenId(c, 'bos_token_id', 50256, vocabSize),
    eosTokenId: tokenId(c, 'eos_token_id', 50256, vocabSize),
  };
}
