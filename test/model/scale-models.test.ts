// The random-weight stand-ins for SmolLM2-135M, Qwen2.5-0.5B and Llama-3.2-1B
// (scripts/scale-models.ts): the hub's file layout, the published config fields, BF16 shards named
// and indexed as transformers writes them, and the project's loader opening every one.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/model/load';
import { nodeModelFiles } from '../../src/model/node-files';
import { readWeights } from '../../src/model/weights';
import { SCALE_MODELS, cachedScaleModel, scaleConfig, writeScaleModel, type ScaleModel } from '../../scripts/scale-models';

const json = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));

const made: string[] = [];
const tempDir = () => {
  made.push(mkdtempSync(join(tmpdir(), 'gora-scale-')));
  return made.at(-1)!;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

// The published values that define each network (hub config.json of each model).
const PUBLISHED: Record<ScaleModel, Record<string, unknown>> = {
  'smollm2-135m': { model_type: 'llama', hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, intermediate_size: 1536, vocab_size: 49152, rope_theta: 100000, rope_scaling: null, max_position_embeddings: 8192, rms_norm_eps: 1e-5 },
  'qwen2.5-0.5b': { model_type: 'qwen2', hidden_size: 896, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, intermediate_size: 4864, vocab_size: 151936, rope_theta: 1000000, max_position_embeddings: 32768, rms_norm_eps: 1e-6, use_sliding_window: false },
  'llama3.2-1b': {
    model_type: 'llama', hidden_size: 2048, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, intermediate_size: 8192, vocab_size: 128256, rope_theta: 500000, max_position_embeddings: 131072, rms_norm_eps: 1e-5,
    rope_scaling: { factor: 32, high_freq_factor: 4, low_freq_factor: 1, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  },
};

describe('scale models', () => {
  for (const name of SCALE_MODELS) {
    it(`${name}: the published config, BF16, tied embeddings`, () => {
      expect(scaleConfig(name)).toMatchObject({ ...PUBLISHED[name], torch_dtype: 'bfloat16', tie_word_embeddings: true });
    });
  }

  for (const name of SCALE_MODELS) {
    it(`${name} (shrunk): sharded BF16 safetensors with an index, opened by the loader`, async () => {
      const dir = tempDir();
      const written = writeScaleModel(dir, name, { shrink: true, shardBytes: 1_000_000 });
      const files = readdirSync(dir).sort();
      const shards = files.filter((f) => f.endsWith('.safetensors'));
      expect(shards.length).toBeGreaterThanOrEqual(2);
      expect(shards).toEqual(written.shards);
      shards.forEach((file, k) => expect(file).toBe(`model-${String(k + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`));
      expect(files).toEqual(['config.json', 'generation_config.json', ...shards, 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json'].sort());

      const config = json(dir, 'config.json');
      // Shrunk: the same fields and vocabulary, with the model's own query/key-value grouping.
      expect(Object.keys(config).sort()).toEqual(Object.keys(scaleConfig(name)).sort());
      expect(config.vocab_size).toBe(PUBLISHED[name].vocab_size);
      expect(config.num_attention_heads / config.num_key_value_heads).toBe((PUBLISHED[name].num_attention_heads as number) / (PUBLISHED[name].num_key_value_heads as number));
      const generation = json(dir, 'generation_config.json');
      expect(generation.eos_token_id).toBe(config.eos_token_id);

      const index = json(dir, 'model.safetensors.index.json');
      const names = Object.keys(index.weight_map);
      expect(names).toEqual([...names].sort());
      expect(new Set(Object.values(index.weight_map))).toEqual(new Set(shards));
      expect(names).not.toContain('lm_head.weight');
      if (config.model_type === 'qwen2') expect(names).toContain('model.layers.1.self_attn.k_proj.bias');
      else expect(names.some((n) => n.endsWith('.bias'))).toBe(false);

      const model = await openModel(await nodeModelFiles(dir));
      expect(model.spec).toMatchObject({ vocabSize: config.vocab_size, layers: 2, tiedEmbeddings: true, qkvBias: config.model_type === 'qwen2' });
      expect(model.checkpoint.files()).toEqual(shards);
      // Every tensor in the index is a weight the loader expects, and each is BF16.
      expect(model.entries.map((e) => e.hfName).sort()).toEqual(names);
      let total = 0;
      for (const e of model.entries) {
        const t = model.checkpoint.tensor(e.hfName);
        expect(t.dtype).toBe('BF16');
        expect(t.file).toBe(index.weight_map[e.hfName]);
        total += 2 * t.shape.reduce((a, d) => a * d, 1);
      }
      expect(index.metadata.total_size).toBe(total);
      expect(model.tokenizer!.vocabSize).toBeLessThan(config.vocab_size);

      // Weights ~ N(0, 0.02²), norm weights 1.
      const q = await model.checkpoint.readFloats('model.layers.0.self_attn.q_proj.weight');
      const mean = q.reduce((a, v) => a + v, 0) / q.length;
      const std = Math.sqrt(q.reduce((a, v) => a + (v - mean) ** 2, 0) / q.length);
      expect(Math.abs(mean)).toBeLessThan(0.002);
      expect(std).toBeGreaterThan(0.018);
      expect(std).toBeLessThan(0.022);
      expect(new Set(await model.checkpoint.readFloats('model.norm.weight'))).toEqual(new Set([1]));
    });
  }

  it('writes the same bytes for the same seed, other bytes for another', () => {
    const hash = (seed: number) => {
      const dir = tempDir();
      writeScaleModel(dir, 'smollm2-135m', { shrink: true, seed });
      return createHash('sha256').update(readFileSync(join(dir, 'model-00001-of-00001.safetensors'))).digest('hex');
    };
    expect(hash(1)).toBe(hash(1));
    expect(hash(2)).not.toBe(hash(1));
  });

  it('SmolLM2-135M at its real shape: two shards, 134.5 M parameters, every weight read by the loader', async () => {
    const cache = tempDir();
    const dir = cachedScaleModel('smollm2-135m', {}, cache);
    const shardTimes = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).map((f) => statSync(join(dir, f)).mtimeMs);
    expect(shardTimes).toHaveLength(2);
    // A complete folder is reused as it is.
    expect(cachedScaleModel('smollm2-135m', {}, cache)).toBe(dir);
    expect(readdirSync(dir).filter((f) => f.endsWith('.safetensors')).map((f) => statSync(join(dir, f)).mtimeMs)).toEqual(shardTimes);

    const model = await openModel(await nodeModelFiles(dir));
    expect(model.spec).toMatchObject({ hiddenSize: 576, layers: 30, heads: 9, kvHeads: 3, headDim: 64, intermediateSize: 1536, vocabSize: 49152, tiedEmbeddings: true });
    expect(model.entries).toHaveLength(2 + 30 * 9);
    expect(model.targets).toHaveLength(30 * 7);
    let parameters = 0;
    for await (const { entry, data } of readWeights(model.checkpoint, model.entries)) {
      expect(data.length).toBe(entry.shape.reduce((a, d) => a * d, 1));
      parameters += data.length;
    }
    expect(parameters).toBe(134_515_008);
  }, 300_000);
});
