import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/model/config';
import { ModelFormatError } from '../../src/model/errors';

// Shrunk copies of real config.json files, keys as published.
const SMOLLM2 = {
  architectures: ['LlamaForCausalLM'],
  bos_token_id: 0,
  eos_token_id: 0,
  hidden_act: 'silu',
  hidden_size: 576,
  intermediate_size: 1536,
  max_position_embeddings: 8192,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  vocab_size: 49152,
};

const LLAMA32 = {
  ...SMOLLM2,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  head_dim: 64,
  hidden_size: 2048,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0,
  vocab_size: 128256,
};

const QWEN25 = {
  architectures: ['Qwen2ForCausalLM'],
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: 'silu',
  hidden_size: 896,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const GPT2 = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  bos_token_id: 50256,
  eos_token_id: 50256,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  vocab_size: 50257,
};

function without(config: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  const copy = { ...config };
  for (const k of keys) delete copy[k];
  return copy;
}

function expectConfigError(json: unknown, pattern: RegExp): void {
  expect(() => parseConfig(json)).toThrow(ModelFormatError);
  expect(() => parseConfig(json)).toThrow(pattern);
}

describe('parseConfig', () => {
  it('reads SmolLM2 (Llama, GQA 3:1, tied)', () => {
    expect(parseConfig(SMOLLM2)).toEqual({
      architecture: 'llama',
      modelType: 'llama',
      vocabSize: 49152,
      hiddenSize: 576,
      layers: 30,
      heads: 9,
      kvHeads: 3,
      headDim: 64,
      intermediateSize: 1536,
      maxPositions: 8192,
      norm: 'rms',
      normEps: 1e-5,
      mlp: 'swiglu',
      rope: { theta: 100000, scaling: null },
      qkvBias: false,
      projBias: false,
      tiedEmbeddings: true,
      bosTokenId: 0,
      eosTokenId: 0,
    });
  });

  it("applies LlamaConfig's defaults", () => {
    const minimal = { model_type: 'llama', vocab_size: 32000, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4 };
    expect(parseConfig(minimal)).toMatchObject({
      kvHeads: 4,
      headDim: 16,
      maxPositions: 2048,
      normEps: 1e-6,
      rope: { theta: 10000, scaling: null },
      tiedEmbeddings: false,
      bosTokenId: 1,
      eosTokenId: 2,
    });
  });

  it('reads Llama 3.2 rope scaling, an explicit head_dim and a list of eos ids', () => {
    const spec = parseConfig(LLAMA32);
    expect(spec.rope).toEqual({
      theta: 500000,
      scaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 },
    });
    expect(spec).toMatchObject({ headDim: 64, heads: 32, kvHeads: 8, bosTokenId: 128000, eosTokenId: 128001 });
    // The older key "type" and transformers 5's "rope_parameters" say the same.
    const { rope_type: _, ...older } = { ...LLAMA32.rope_scaling, type: 'llama3' };
    expect(parseConfig({ ...LLAMA32, rope_scaling: older }).rope).toEqual(spec.rope);
    const v5 = { ...without(LLAMA32, 'rope_scaling', 'rope_theta'), rope_parameters: { ...LLAMA32.rope_scaling, rope_theta: 500000 } };
    expect(parseConfig(v5).rope).toEqual(spec.rope);
    expect(parseConfig({ ...LLAMA32, head_dim: 48 }).headDim).toBe(48);
    expect(parseConfig({ ...SMOLLM2, rope_scaling: { rope_type: 'default' } }).rope?.scaling).toBeNull();
  });

  it('reads Qwen2.5 (q/k/v biases, GQA 7:1) with its defaults', () => {
    expect(parseConfig(QWEN25)).toMatchObject({ architecture: 'qwen2', qkvBias: true, projBias: false, heads: 14, kvHeads: 2, headDim: 64, tiedEmbeddings: true });
    expect(parseConfig(without(QWEN25, 'tie_word_embeddings', 'bos_token_id', 'eos_token_id', 'max_position_embeddings', 'rms_norm_eps'))).toMatchObject({
      tiedEmbeddings: false,
      bosTokenId: null,
      eosTokenId: null,
      maxPositions: 32768,
      normEps: 1e-6,
    });
  });

  it('reads gpt2 with its defaults (n_inner null -> 4C, tied)', () => {
    expect(parseConfig(GPT2)).toEqual({
      architecture: 'gpt2',
      modelType: 'gpt2',
      vocabSize: 50257,
      hiddenSize: 768,
      layers: 12,
      heads: 12,
      kvHeads: 12,
      headDim: 64,
      intermediateSize: 3072,
      maxPositions: 1024,
      norm: 'layer',
      normEps: 1e-5,
      mlp: 'gelu',
      rope: null,
      qkvBias: true,
      projBias: true,
      tiedEmbeddings: true,
      bosTokenId: 50256,
      eosTokenId: 50256,
    });
    expect(parseConfig({ ...GPT2, n_inner: null }).intermediateSize).toBe(3072);
    expect(parseConfig({ ...GPT2, n_inner: 1000, activation_function: 'gelu_pytorch_tanh' }).intermediateSize).toBe(1000);
  });

  it('refuses an unsupported model_type', () => {
    expectConfigError({ ...SMOLLM2, model_type: 'mistral' }, /config\.json: model_type "mistral" is not supported \(supported: llama, qwen2, gpt2\)/);
    expectConfigError(without(SMOLLM2, 'model_type'), /"model_type" is missing/);
    expectConfigError([1, 2], /config\.json: is not a JSON object/);
  });

  it('refuses a missing or wrong-typed field, naming it', () => {
    expectConfigError(without(SMOLLM2, 'hidden_size'), /config\.json: "hidden_size" is missing/);
    expectConfigError(without(GPT2, 'n_embd'), /"n_embd" is missing/);
    expectConfigError({ ...SMOLLM2, num_hidden_layers: '30' }, /"num_hidden_layers" must be a positive integer, got "30"/);
    expectConfigError({ ...SMOLLM2, intermediate_size: 15.5 }, /"intermediate_size" must be a positive integer/);
    expectConfigError({ ...SMOLLM2, tie_word_embeddings: 'yes' }, /"tie_word_embeddings" must be true or false/);
    expectConfigError({ ...SMOLLM2, rms_norm_eps: -1 }, /"rms_norm_eps" must be a positive number/);
    expectConfigError({ ...SMOLLM2, eos_token_id: 49152 }, /"eos_token_id" must be a token id below vocab_size 49152/);
    expectConfigError({ ...LLAMA32, rope_scaling: { ...LLAMA32.rope_scaling, factor: 'big' } }, /"rope_scaling\.factor" must be a positive number/);
  });

  it('refuses heads that do not divide', () => {
    expectConfigError({ ...SMOLLM2, num_key_value_heads: 2 }, /"num_attention_heads" by "num_key_value_heads": 9 is not divisible by 2/);
    expectConfigError({ ...SMOLLM2, hidden_size: 577 }, /"hidden_size" by "num_attention_heads": 577 is not divisible by 9/);
    expectConfigError({ ...GPT2, n_head: 7 }, /"n_embd" by "n_head": 768 is not divisible by 7/);
  });

  it('refuses what the engine would compute differently', () => {
    expectConfigError({ ...SMOLLM2, hidden_act: 'gelu' }, /"hidden_act" must be "silu" for llama, got "gelu"/);
    expectConfigError({ ...QWEN25, hidden_act: 'relu' }, /"hidden_act" must be "silu" for qwen2/);
    expectConfigError({ ...GPT2, activation_function: 'gelu' }, /"activation_function" "gelu" is not supported \(supported: gelu_new, gelu_pytorch_tanh\)/);
    expectConfigError({ ...GPT2, activation_function: 'relu' }, /"activation_function" "relu" is not supported/);
    expectConfigError({ ...SMOLLM2, rope_scaling: { rope_type: 'yarn', factor: 4 } }, /"rope_scaling" type "yarn" is not supported/);
    expectConfigError({ ...SMOLLM2, rope_scaling: { type: 'linear', factor: 2 } }, /"rope_scaling" type "linear" is not supported/);
    expectConfigError({ ...SMOLLM2, attention_bias: true }, /"attention_bias": true is not supported/);
    expectConfigError({ ...SMOLLM2, mlp_bias: true }, /"mlp_bias": true is not supported/);
    expectConfigError({ ...QWEN25, use_sliding_window: true }, /"use_sliding_window": true is not supported/);
    expectConfigError({ ...GPT2, scale_attn_by_inverse_layer_idx: true }, /"scale_attn_by_inverse_layer_idx": true is not supported/);
  });
});
