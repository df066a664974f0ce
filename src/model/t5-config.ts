// config.json → T5Spec for T5ForConditionalGeneration: T5 v1.0 (`feed_forward_proj: "relu"`, tied
// embeddings) and T5 v1.1 / Flan-T5 (`"gated-gelu"`, an untied lm_head). Optional fields take
// T5Config's defaults; the dimensions that define the network are required. Anything the reference
// would compute differently from transformers' modeling_t5.py is refused with the field named.

import { ModelFormatError } from './errors';

const FILE = 'config.json';

export interface T5Spec {
  architecture: 't5';
  vocabSize: number;
  /** d_model: the width of the residual stream. */
  dModel: number;
  /** d_kv: one head's width; heads · d_kv may differ from d_model. */
  dKv: number;
  /** d_ff: the feed-forward width. */
  dFF: number;
  heads: number;
  encoderLayers: number;
  decoderLayers: number;
  /** The relative position buckets (shared by a stack, stored in its block 0) and the distance the last one starts at. */
  buckets: number;
  maxDistance: number;
  eps: number;
  /** relu: wo(relu(wi x)); gated-gelu: wo(gelu_tanh(wi_0 x) · wi_1 x). */
  feedForward: 'relu' | 'gated-gelu';
  /** lm_head is the token embedding, and the decoder output is scaled by d_model^-0.5 before it. */
  tiedEmbeddings: boolean;
  decoderStartTokenId: number;
  eosTokenId: number;
  padTokenId: number;
}

type Json = Record<string, unknown>;

function fail(detail: string): never {
  throw new ModelFormatError(FILE, detail);
}

function positiveInt(c: Json, key: string, fallback?: number): number {
  const value = c[key] ?? fallback;
  if (value === undefined) fail(`"${key}" is missing`);
  if (!Number.isSafeInteger(value) || (value as number) <= 0) fail(`"${key}" must be a positive integer, got ${JSON.stringify(value)}`);
  return value as number;
}

function tokenId(c: Json, key: string, fallback: number, vocabSize: number): number {
  const value = c[key] ?? fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) >= vocabSize) fail(`"${key}" must be a token id below vocab_size ${vocabSize}, got ${JSON.stringify(value)}`);
  return value as number;
}

const FEED_FORWARD: Record<string, T5Spec['feedForward']> = { relu: 'relu', 'gated-gelu': 'gated-gelu' };

export function parseT5Config(c: Json): T5Spec {
  const proj = c.feed_forward_proj ?? 'relu';
  const feedForward = typeof proj === 'string' && Object.hasOwn(FEED_FORWARD, proj) ? FEED_FORWARD[proj] : null;
  if (!feedForward) fail(`"feed_forward_proj" ${JSON.stringify(proj)} is not supported (supported: relu, gated-gelu)`);
  if (c.is_encoder_decoder === false) fail('"is_encoder_decoder": false is not supported (T5 here is the encoder and the decoder)');
  const eps = c.layer_norm_epsilon ?? 1e-6;
  if (typeof eps !== 'number' || !(eps > 0)) fail(`"layer_norm_epsilon" must be a positive number, got ${JSON.stringify(eps)}`);
  const tied = c.tie_word_embeddings ?? true;
  if (typeof tied !== 'boolean') fail(`"tie_word_embeddings" must be true or false, got ${JSON.stringify(tied)}`);
  const vocabSize = positiveInt(c, 'vocab_size');
  const encoderLayers = positiveInt(c, 'num_layers');
  const buckets = positiveInt(c, 'relative_attention_num_buckets', 32);
  const maxDistance = positiveInt(c, 'relative_attention_max_distance', 128);
  // Bidirectional buckets split in halves, each half into exact and logarithmic quarters.
  if (buckets < 4) fail(`"relative_attention_num_buckets" must be at least 4, got ${buckets}`);
  if (maxDistance <= buckets / 4) fail(`"relative_attention_max_distance" (${maxDistance}) must be above a quarter of the buckets (${buckets / 4})`);
  return {
    architecture: 't5',
    vocabSize,
    dModel: positiveInt(c, 'd_model'),
    dKv: positiveInt(c, 'd_kv'),
    dFF: positiveInt(c, 'd_ff'),
    heads: positiveInt(c, 'num_heads'),
    encoderLayers,
    decoderLayers: positiveInt(c, 'num_decoder_layers', encoderLayers),
    buckets,
    maxDistance,
    eps,
    feedForward,
    tiedEmbeddings: tied,
    decoderStartTokenId: tokenId(c, 'decoder_start_token_id', 0, vocabSize),
    eosTokenId: tokenId(c, 'eos_token_id', 1, vocabSize),
    padTokenId: tokenId(c, 'pad_token_id', 0, vocabSize),
  };
}
