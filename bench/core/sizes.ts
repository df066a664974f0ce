// The model sizes the benchmark runs at, as Hugging Face config.json objects (parsed by the same
// src/model/config.ts the app uses), with the batch shape each one trains at.

import { parseConfig } from '../../src/model/config';
import type { ModelSpec } from '../../src/model/spec';

export const SIZES = ['tiny', 'small', '135m'] as const;
export type BenchSize = (typeof SIZES)[number];

export interface SizeSetup {
  size: BenchSize;
  /** T, tokens per row. */
  seqLen: number;
  /** B, rows per batch. */
  batch: number;
  /** What the weights are: the embedded model's trained ones, or seeded random ones. */
  weights: 'embedded' | 'random';
  /** The architecture, for the random sizes (tiny's comes from its own config.json). */
  config: Record<string, unknown> | null;
  /** The decode benchmark's prompt and new tokens. */
  decode: { prompt: number; newTokens: number };
}

const LLAMA_DEFAULTS = {
  model_type: 'llama',
  hidden_act: 'silu',
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: true,
  bos_token_id: 0,
  eos_token_id: 0,
};

export function sizeSetup(size: BenchSize): SizeSetup {
  switch (size) {
    // public/models/gora-tiny at the job's default batch (defaultConfig: 4 × 64).
    case 'tiny':
      return { size, seqLen: 64, batch: 4, weights: 'embedded', config: null, decode: { prompt: 32, newTokens: 32 } };
    // Llama shapes at d = 256: 4 layers, 4 query and 2 key/value heads of 64, SwiGLU width 688
    // (≈ 8/3·d rounded to 16, as Llama sizes its MLP), vocabulary 4096.
    case 'small':
      return {
        size,
        seqLen: 128,
        batch: 4,
        weights: 'random',
        decode: { prompt: 64, newTokens: 64 },
        config: { ...LLAMA_DEFAULTS, vocab_size: 4096, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 688, max_position_embeddings: 512 },
      };
    // SmolLM2-135M's config.json (HuggingFaceTB/SmolLM2-135M) with random weights, at 1 × 64
    // tokens: a step is about 50 GFLOP, so the whole benchmark stays within its default budget on a
    // software adapter (real GPUs: bench/gpu.sh runs the larger batches). Decoding: 16 tokens after
    // 32, as a re-run of 48 positions per token takes seconds there.
    case '135m':
      return {
        size,
        seqLen: 64,
        batch: 1,
        weights: 'random',
        decode: { prompt: 32, newTokens: 16 },
        config: { ...LLAMA_DEFAULTS, vocab_size: 49152, hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, intermediate_size: 1536, max_position_embeddings: 8192, rope_theta: 100000 },
      };
  }
}

export function isBenchSize(value: string): value is BenchSize {
  return (SIZES as readonly string[]).includes(value);
}

/** The spec of a random-weight size. */
export function randomSizeSpec(setup: SizeSetup): ModelSpec {
  if (!setup.config) throw new Error(`size ${setup.size} uses the embedded model's own config.json`);
  return parseConfig(setup.config);
}
