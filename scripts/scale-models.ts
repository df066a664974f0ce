// Random-weight checkpoints in the exact Hugging Face hub layout of three real models, for measuring
// the app and the CLI at real sizes without downloading them: each model's config.json as published,
// BF16 weights under the names transformers saves, sharded as huggingface_hub's
// split_torch_state_dict_into_shards does (tensors in state_dict order, a new shard when the next
// tensor would pass the shard size) with model.safetensors.index.json, and a small byte-level BPE
// tokenizer (the built-in model's, 1,024 tokens, so every id stays below each vocabulary).
//
// Weights are written tensor by tensor, in chunks: Llama-3.2-1B is 2.5 GB and is never in memory.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const SCALE_MODELS = ['smollm2-135m', 'qwen2.5-0.5b', 'llama3.2-1b'] as const;
export type ScaleModel = (typeof SCALE_MODELS)[number];

export function isScaleModel(name: string): name is ScaleModel {
  return (SCALE_MODELS as readonly string[]).includes(name);
}

/** The shard size used unless asked otherwise: small enough that even the 135M model has two shards. */
export const DEFAULT_SHARD_BYTES = 200_000_000;

// The published config.json of each model (HuggingFaceTB/SmolLM2-135M, Qwen/Qwen2.5-0.5B,
// meta-llama/Llama-3.2-1B), field for field.
const CONFIGS: Record<ScaleModel, Record<string, unknown>> = {
  'smollm2-135m': {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: 0,
    eos_token_id: 0,
    hidden_act: 'silu',
    hidden_size: 576,
    initializer_range: 0.041666666666666664,
    intermediate_size: 1536,
    is_llama_config: true,
    max_position_embeddings: 8192,
    model_type: 'llama',
    num_attention_heads: 9,
    num_hidden_layers: 30,
    num_key_value_heads: 3,
    pretraining_tp: 1,
    rms_norm_eps: 1e-5,
    rope_interleaved: false,
    rope_scaling: null,
    rope_theta: 100000,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    transformers_version: '4.40.1',
    use_cache: true,
    vocab_size: 49152,
  },
  'qwen2.5-0.5b': {
    architectures: ['Qwen2ForCausalLM'],
    attention_dropout: 0.0,
    bos_token_id: 151643,
    eos_token_id: 151643,
    hidden_act: 'silu',
    hidden_size: 896,
    initializer_range: 0.02,
    intermediate_size: 4864,
    max_position_embeddings: 32768,
    max_window_layers: 24,
    model_type: 'qwen2',
    num_attention_heads: 14,
    num_hidden_layers: 24,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000.0,
    sliding_window: 32768,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    transformers_version: '4.40.1',
    use_cache: true,
    use_mrope: false,
    use_sliding_window: false,
    vocab_size: 151936,
  },
  'llama3.2-1b': {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: 128000,
    eos_token_id: 128001,
    head_dim: 64,
    hidden_act: 'silu',
    hidden_size: 2048,
    initializer_range: 0.02,
    intermediate_size: 8192,
    max_position_embeddings: 131072,
    mlp_bias: false,
    model_type: 'llama',
    num_attention_heads: 32,
    num_hidden_layers: 16,
    num_key_value_heads: 8,
    pretraining_tp: 1,
    rms_norm_eps: 1e-5,
    rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
    rope_theta: 500000.0,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    transformers_version: '4.45.0.dev0',
    use_cache: true,
    vocab_size: 128256,
  },
};

// Each model's generation_config.json as published.
const GENERATION_CONFIGS: Record<ScaleModel, Record<string, unknown>> = {
  'smollm2-135m': { _from_model_config: true, bos_token_id: 0, eos_token_id: 0, transformers_version: '4.40.1' },
  'qwen2.5-0.5b': { bos_token_id: 151643, do_sample: false, eos_token_id: 151643, max_new_tokens: 2048, transformers_version: '4.37.0' },
  'llama3.2-1b': { _from_model_config: true, bos_token_id: 128000, do_sample: true, eos_token_id: 128001, temperature: 0.6, top_p: 0.9, transformers_version: '4.45.0.dev0' },
};

export interface ScaleOptions {
  /** Largest shard in bytes (huggingface_hub's max_shard_size); a larger tensor gets a shard of its own. */
  shardBytes?: number;
  seed?: number;
  /**
   * The same layout, config fields and vocabulary at small dimensions (2 layers, heads of 8), for
   * tests of the layout itself.
   */
  shrink?: boolean;
}

export function scaleConfig(name: ScaleModel, shrink = false): Record<string, unknown> {
  const config = structuredClone(CONFIGS[name]);
  if (!shrink) return config;
  // Two key/value heads with the model's own grouping, heads of 8 channels.
  const heads = 2 * ((config.num_attention_heads as number) / (config.num_key_value_heads as number));
  Object.assign(config, { hidden_size: 8 * heads, intermediate_size: 16 * heads, num_hidden_layers: 2, num_attention_heads: heads, num_key_value_heads: 2 });
  if ('head_dim' in config) config.head_dim = 8;
  if ('max_window_layers' in config) config.max_window_layers = 2;
  return config;
}

export interface TensorSpec {
  name: string;
  shape: number[];
}

/** Parameters in transformers' state_dict order (modules in registration order); the tied lm_head is left out, as save_pretrained does. */
export function stateDict(config: Record<string, unknown>): TensorSpec[] {
  const C = config.hidden_size as number;
  const F = config.intermediate_size as number;
  const Hq = config.num_attention_heads as number;
  const Hkv = config.num_key_value_heads as number;
  const D = (config.head_dim as number | undefined) ?? C / Hq;
  const bias = config.model_type === 'qwen2';
  const out: TensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [config.vocab_size as number, C] }];
  for (let i = 0; i < (config.num_hidden_layers as number); i++) {
    const p = `model.layers.${i}`;
    for (const [proj, rows] of [['q', Hq * D], ['k', Hkv * D], ['v', Hkv * D]] as const) {
      out.push({ name: `${p}.self_attn.${proj}_proj.weight`, shape: [rows, C] });
      if (bias) out.push({ name: `${p}.self_attn.${proj}_proj.bias`, shape: [rows] });
    }
    out.push({ name: `${p}.self_attn.o_proj.weight`, shape: [C, Hq * D] });
    out.push({ name: `${p}.mlp.gate_proj.weight`, shape: [F, C] });
    out.push({ name: `${p}.mlp.up_proj.weight`, shape: [F, C] });
    out.push({ name: `${p}.mlp.down_proj.weight`, shape: [C, F] });
    out.push({ name: `${p}.input_layernorm.weight`, shape: [C] });
    out.push({ name: `${p}.post_attention_layernorm.weight`, shape: [C] });
  }
  out.push({ name: 'model.norm.weight', shape: [C] });
  if (!config.tie_word_embeddings) out.push({ name: 'lm_head.weight', shape: [config.vocab_size as number, C] });
  return out;
}

const BF16_BYTES = 2;
const count = (shape: number[]) => shape.reduce((a, d) => a * d, 1);

/** huggingface_hub's split_torch_state_dict_into_shards, in order. */
export function planShards(tensors: TensorSpec[], shardBytes: number): TensorSpec[][] {
  const shards: TensorSpec[][] = [];
  let current: TensorSpec[] = [];
  let size = 0;
  for (const t of tensors) {
    const bytes = count(t.shape) * BF16_BYTES;
    if (bytes > shardBytes) {
      shards.push([t]);
      continue;
    }
    if (size + bytes > shardBytes && current.length > 0) {
      shards.push(current);
      current = [];
      size = 0;
    }
    current.push(t);
    size += bytes;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}

export const shardName = (k: number, n: number) => `model-${String(k + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;

/** Seeds a tensor's generator from its name, so its values do not depend on the shard it lands in. */
function nameSeed(name: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * 65,536 BF16 draws of N(0, std²) (Box–Muller, seeded): each 16 bits of a random word pick one, so a
 * tensor costs one generator step per two values. An approximate normal, which is all a random
 * checkpoint needs, at several hundred MB/s.
 */
function normalTable(std: number, seed: number): Uint16Array {
  const table = new Uint16Array(65536);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  for (let i = 0; i < table.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const a = 2 * Math.PI * uniform();
    for (const [k, v] of [[0, r * Math.cos(a)], [1, r * Math.sin(a)]] as const) {
      f[0] = std * v;
      table[i + k] = (u[0] + 0x7fff + ((u[0] >>> 16) & 1)) >>> 16;
    }
  }
  return table;
}

const ONE_BF16 = 0x3f80;
const CHUNK = 1 << 22; // values per write: 8 MB of BF16

/** Writes one tensor's BF16 bytes to `fd` at `position`, chunk by chunk. */
function writeTensor(fd: number, position: number, t: TensorSpec, table: Uint16Array, seed: number, buffer: Uint16Array): number {
  const n = count(t.shape);
  const isNorm = /norm\.weight$/.test(t.name);
  let s = nameSeed(t.name, seed);
  for (let done = 0; done < n; ) {
    const m = Math.min(CHUNK, n - done);
    if (isNorm) buffer.fill(ONE_BF16, 0, m);
    else {
      let i = 0;
      for (; i + 1 < m; i += 2) {
        // mulberry32 (as src/engine/random.ts), inlined: one 32-bit word gives two table indices.
        s = (s + 0x6d2b79f5) | 0;
        let x = Math.imul(s ^ (s >>> 15), s | 1);
        x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
        x ^= x >>> 14;
        buffer[i] = table[x & 0xffff];
        buffer[i + 1] = table[x >>> 16];
      }
      if (i < m) buffer[i] = table[(s = (s * 1103515245 + 12345) | 0) >>> 16];
    }
    const bytes = new Uint8Array(buffer.buffer, 0, m * BF16_BYTES);
    for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off, bytes.byteLength - off, position + off);
    position += bytes.byteLength;
    done += m;
  }
  return position;
}

/**
 * A safetensors header as the reference library writes it: entries sorted by dtype size, then
 * name (all BF16 here, so by name), data in that order, the JSON padded with spaces to 8 bytes.
 */
function shardHeader(tensors: TensorSpec[]): { bytes: Uint8Array; order: TensorSpec[] } {
  const order = [...tensors].sort((a, b) => (a.name < b.name ? -1 : 1));
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of order) {
    const size = count(t.shape) * BF16_BYTES;
    header[t.name] = { dtype: 'BF16', shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = Math.ceil(json.byteLength / 8) * 8;
  const bytes = new Uint8Array(8 + length).fill(0x20);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(length), true);
  bytes.set(json, 8);
  return { bytes, order };
}

const TOKENIZER_DIR = join(import.meta.dirname, '..', 'public', 'models', 'gora-tiny');

export interface WrittenModel {
  dir: string;
  shards: string[];
  totalBytes: number;
  seconds: number;
}

/** Writes the model folder into `dir` (created if needed; files of the same names are replaced). */
export function writeScaleModel(dir: string, name: ScaleModel, options: ScaleOptions = {}): WrittenModel {
  const started = performance.now();
  const seed = options.seed ?? 0;
  const config = scaleConfig(name, options.shrink);
  const shards = planShards(stateDict(config), options.shardBytes ?? DEFAULT_SHARD_BYTES);
  mkdirSync(dir, { recursive: true });
  const table = normalTable(0.02, seed);
  const buffer = new Uint16Array(CHUNK);
  const weightMap: Record<string, string> = {};
  let totalBytes = 0;
  shards.forEach((tensors, k) => {
    const file = shardName(k, shards.length);
    const { bytes, order } = shardHeader(tensors);
    const fd = openSync(join(dir, file), 'w');
    try {
      writeSync(fd, bytes, 0, bytes.byteLength, 0);
      let position = bytes.byteLength;
      for (const t of order) position = writeTensor(fd, position, t, table, seed, buffer);
    } finally {
      closeSync(fd);
    }
    for (const t of tensors) {
      weightMap[t.name] = file;
      totalBytes += count(t.shape) * BF16_BYTES;
    }
  });
  const sorted = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : 1)));
  const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';
  writeFileSync(join(dir, 'model.safetensors.index.json'), json({ metadata: { total_size: totalBytes }, weight_map: sorted }));
  writeFileSync(join(dir, 'config.json'), json(config));
  writeFileSync(join(dir, 'generation_config.json'), json(GENERATION_CONFIGS[name]));
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(join(TOKENIZER_DIR, 'tokenizer.json')));
  const tokenizerConfig = JSON.parse(readFileSync(join(TOKENIZER_DIR, 'tokenizer_config.json'), 'utf8'));
  writeFileSync(join(dir, 'tokenizer_config.json'), json({ ...tokenizerConfig, model_max_length: config.max_position_embeddings }));
  return { dir, shards: shards.map((_, k) => shardName(k, shards.length)), totalBytes, seconds: (performance.now() - started) / 1000 };
}

/** Bump when the generated bytes change, so cached folders are rebuilt. */
const GENERATOR_VERSION = 1;
const STAMP = '.gora-scale.json';

export const SCALE_CACHE = join(import.meta.dirname, '..', 'node_modules', '.cache', 'gora-scale');

/**
 * The model folder under `cacheDir`, written once: a folder is complete only once its stamp (the
 * generator version and options) is in place, since it is built beside and renamed into place.
 */
export function cachedScaleModel(name: ScaleModel, options: ScaleOptions = {}, cacheDir = SCALE_CACHE): string {
  const dir = join(cacheDir, options.shrink ? `${name}-shrunk` : name);
  const stamp = JSON.stringify({ version: GENERATOR_VERSION, name, ...options });
  const stampPath = join(dir, STAMP);
  if (existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) return dir;
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  writeScaleModel(partial, name, options);
  writeFileSync(join(partial, STAMP), stamp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return dir;
}
