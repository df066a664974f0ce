// Every committed fixture (scripts/make-fixtures.ts) opens through openModel with the spec, weight
// table and adapter targets its architecture implies, from disk, from memory and from browser Files.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserFiles, memoryFiles } from '../../src/model/bytes';
import { bf16ToF32, f32ToBf16 } from '../../src/model/dtype';
import { openModel, type OpenedModel } from '../../src/model/load';
import { nodeModelFiles } from '../../src/model/node-files';
import type { ModelSpec } from '../../src/model/spec';
import { readWeights } from '../../src/model/weights';
import { FIXTURES, fixtureFiles } from './helpers';

async function weightsOf(model: OpenedModel): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for await (const { entry, data } of readWeights(model.checkpoint, model.entries)) out.set(entry.name, data);
  return out;
}

type Dims = Pick<ModelSpec, 'hiddenSize' | 'layers' | 'heads' | 'kvHeads' | 'headDim' | 'intermediateSize' | 'vocabSize' | 'tiedEmbeddings'>;

const EXPECTED: Record<string, { dims: Dims; architecture: string; dtype: string; files: number; entries: number }> = {
  smollm2: { architecture: 'llama', dtype: 'F32', files: 1, entries: 2 + 2 * 9, dims: { hiddenSize: 48, layers: 2, heads: 6, kvHeads: 2, headDim: 8, intermediateSize: 128, vocabSize: 320, tiedEmbeddings: true } },
  'smollm2-bf16': { architecture: 'llama', dtype: 'BF16', files: 1, entries: 2 + 2 * 9, dims: { hiddenSize: 48, layers: 2, heads: 6, kvHeads: 2, headDim: 8, intermediateSize: 128, vocabSize: 320, tiedEmbeddings: true } },
  qwen2: { architecture: 'qwen2', dtype: 'F16', files: 1, entries: 2 + 2 * 12, dims: { hiddenSize: 32, layers: 2, heads: 4, kvHeads: 1, headDim: 8, intermediateSize: 96, vocabSize: 320, tiedEmbeddings: true } },
  llama32: { architecture: 'llama', dtype: 'F32', files: 2, entries: 3 + 2 * 9, dims: { hiddenSize: 32, layers: 2, heads: 4, kvHeads: 2, headDim: 8, intermediateSize: 64, vocabSize: 320, tiedEmbeddings: false } },
  gpt2: { architecture: 'gpt2', dtype: 'F32', files: 1, entries: 4 + 2 * 12, dims: { hiddenSize: 32, layers: 2, heads: 4, kvHeads: 4, headDim: 8, intermediateSize: 128, vocabSize: 320, tiedEmbeddings: true } },
  'gpt2-noprefix': { architecture: 'gpt2', dtype: 'F32', files: 1, entries: 4 + 2 * 12, dims: { hiddenSize: 32, layers: 2, heads: 4, kvHeads: 4, headDim: 8, intermediateSize: 64, vocabSize: 320, tiedEmbeddings: true } },
};

describe('fixtures', () => {
  it('are all present and together under 2 MB', () => {
    const names = readdirSync(FIXTURES).sort();
    // The T5 fixtures open through openT5 (test/engine/t5-model.test.ts).
    expect(names).toEqual([...Object.keys(EXPECTED), 't5', 't5-v1_1'].sort());
    let bytes = 0;
    for (const name of names) for (const data of fixtureFiles(name).values()) bytes += data.byteLength;
    expect(bytes).toBeLessThan(2 * 1024 * 1024);
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name} opens with the expected spec, entries and targets, and every weight reads`, async () => {
      const model = await openModel(await nodeModelFiles(join(FIXTURES, name)));
      expect(model.spec).toMatchObject({ ...want.dims, architecture: want.architecture, bosTokenId: 0, eosTokenId: 0 });
      expect(model.checkpoint.files()).toHaveLength(want.files);
      expect(model.entries).toHaveLength(want.entries);
      expect(new Set(model.entries.map((e) => e.name)).size).toBe(want.entries);
      for (const e of model.entries) expect(model.checkpoint.tensor(e.hfName).dtype).toBe(want.dtype);
      expect(model.targets).toHaveLength(want.architecture === 'gpt2' ? 4 * 2 : 7 * 2);
      expect(model.tokenizer?.vocabSize).toBe(299);
      const weights = await weightsOf(model);
      expect([...weights.keys()]).toEqual(model.entries.map((e) => e.name));
      for (const e of model.entries) {
        const data = weights.get(e.name)!;
        expect(data.length).toBe(e.shape.reduce((a, d) => a * d, 1));
        expect(data.every(Number.isFinite)).toBe(true);
      }
      // Norm weights are 1 ± 0.1, embeddings within ±0.5, everything else within ±0.1.
      const norm = weights.get('final_norm.weight')!;
      expect(Math.min(...norm)).toBeGreaterThanOrEqual(0.89);
      expect(Math.max(...norm)).toBeLessThanOrEqual(1.11);
      const embed = weights.get('embed')!;
      expect(Math.max(...embed.map(Math.abs))).toBeGreaterThan(0.3);
    });
  }

  it('smollm2: Llama names in layer order, tied head', async () => {
    const model = await openModel(await nodeModelFiles(join(FIXTURES, 'smollm2')));
    expect(model.entries.slice(0, 10)).toEqual([
      { name: 'embed', hfName: 'model.embed_tokens.weight', shape: [320, 48], transposed: false },
      { name: 'layers.0.norm1.weight', hfName: 'model.layers.0.input_layernorm.weight', shape: [48], transposed: false },
      { name: 'layers.0.attn.q.weight', hfName: 'model.layers.0.self_attn.q_proj.weight', shape: [48, 48], transposed: false },
      { name: 'layers.0.attn.k.weight', hfName: 'model.layers.0.self_attn.k_proj.weight', shape: [16, 48], transposed: false },
      { name: 'layers.0.attn.v.weight', hfName: 'model.layers.0.self_attn.v_proj.weight', shape: [16, 48], transposed: false },
      { name: 'layers.0.attn.o.weight', hfName: 'model.layers.0.self_attn.o_proj.weight', shape: [48, 48], transposed: false },
      { name: 'layers.0.norm2.weight', hfName: 'model.layers.0.post_attention_layernorm.weight', shape: [48], transposed: false },
      { name: 'layers.0.mlp.gate.weight', hfName: 'model.layers.0.mlp.gate_proj.weight', shape: [128, 48], transposed: false },
      { name: 'layers.0.mlp.up.weight', hfName: 'model.layers.0.mlp.up_proj.weight', shape: [128, 48], transposed: false },
      { name: 'layers.0.mlp.down.weight', hfName: 'model.layers.0.mlp.down_proj.weight', shape: [48, 128], transposed: false },
    ]);
    expect(model.entries.at(-1)).toEqual({ name: 'final_norm.weight', hfName: 'model.norm.weight', shape: [48], transposed: false });
    expect(model.targets[0]).toEqual({ name: 'layers.0.attn.q', module: 'model.layers.0.self_attn.q_proj', shortName: 'q_proj', out: 48, in: 48, hasBias: false, conv1d: false });
    expect(model.targets.map((t) => t.shortName).slice(0, 7)).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
    expect(model.targets.at(-1)).toMatchObject({ module: 'model.layers.1.mlp.down_proj', out: 48, in: 128 });
    expect(model.spec.rope).toEqual({ theta: 100000, scaling: null });
  });

  it('smollm2-bf16 holds the smollm2 weights rounded to bf16', async () => {
    const f32 = await weightsOf(await openModel(await nodeModelFiles(join(FIXTURES, 'smollm2'))));
    const bf16 = await weightsOf(await openModel(await nodeModelFiles(join(FIXTURES, 'smollm2-bf16'))));
    for (const [name, data] of f32) expect(Array.from(bf16.get(name)!)).toEqual(Array.from(data, (x) => bf16ToF32(f32ToBf16(x))));
  });

  it('qwen2: q/k/v biases, GQA 4:1, F16 storage', async () => {
    const model = await openModel(memoryFiles(fixtureFiles('qwen2')));
    const names = model.entries.map((e) => e.hfName);
    expect(names).toContain('model.layers.1.self_attn.k_proj.bias');
    expect(model.entries.find((e) => e.name === 'layers.0.attn.k.bias')?.shape).toEqual([8]);
    expect(names.some((n) => n.includes('o_proj.bias'))).toBe(false);
    expect(model.targets.filter((t) => t.hasBias).map((t) => t.shortName)).toEqual(['q_proj', 'k_proj', 'v_proj', 'q_proj', 'k_proj', 'v_proj']);
    expect(model.spec.rope?.theta).toBe(1000000);
  });

  it('llama32: two shards, llama3 rope scaling, untied lm_head', async () => {
    const model = await openModel(memoryFiles(fixtureFiles('llama32')));
    expect(model.checkpoint.files()).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(model.checkpoint.tensor('lm_head.weight')).toEqual({ name: 'lm_head.weight', file: 'model-00002-of-00002.safetensors', dtype: 'F32', shape: [320, 32] });
    expect(model.checkpoint.tensor('model.layers.0.mlp.up_proj.weight').file).toBe('model-00001-of-00002.safetensors');
    expect(model.entries.at(-1)).toEqual({ name: 'lm_head', hfName: 'lm_head.weight', shape: [320, 32], transposed: false });
    expect(model.spec.rope?.scaling).toEqual({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
    expect(typeof model.checkpoint.metadata.total_size).toBe('number');
    const weights = await weightsOf(model);
    expect(weights.get('lm_head')).not.toEqual(weights.get('embed'));
  });

  for (const name of ['gpt2', 'gpt2-noprefix']) {
    it(`${name}: Conv1D weights come out transposed to [out, in]; buffers are ignored`, async () => {
      const model = await openModel(memoryFiles(fixtureFiles(name)));
      const prefix = name === 'gpt2' ? 'transformer.' : '';
      const F = model.spec.intermediateSize;
      expect(model.checkpoint.names()).toContain(`${prefix}h.0.attn.bias`);
      expect(model.entries.some((e) => e.hfName.endsWith('.attn.bias'))).toBe(false);
      expect(model.entries.slice(0, 2).map((e) => e.hfName)).toEqual([`${prefix}wte.weight`, `${prefix}wpe.weight`]);
      const conv = model.entries.filter((e) => e.transposed);
      expect(conv.map((e) => e.name).slice(0, 4)).toEqual(['layers.0.attn.qkv.weight', 'layers.0.attn.o.weight', 'layers.0.mlp.fc.weight', 'layers.0.mlp.proj.weight']);
      expect(conv.map((e) => e.shape).slice(0, 4)).toEqual([[96, 32], [32, 32], [F, 32], [32, F]]);
      expect(model.checkpoint.tensor(`${prefix}h.0.attn.c_attn.weight`).shape).toEqual([32, 96]);
      const weights = await weightsOf(model);
      for (const e of conv) {
        const [out, inF] = e.shape;
        const raw = await model.checkpoint.readFloats(e.hfName);
        const got = weights.get(e.name)!;
        for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) expect(got[o * inF + i]).toBe(raw[i * out + o]);
      }
      // PEFT names GPT-2 modules inside GPT2LMHeadModel, always under `transformer.`.
      expect(model.targets.slice(0, 4).map((t) => [t.module, t.shortName, t.out, t.in, t.conv1d, t.hasBias])).toEqual([
        ['transformer.h.0.attn.c_attn', 'c_attn', 96, 32, true, true],
        ['transformer.h.0.attn.c_proj', 'c_proj', 32, 32, true, true],
        ['transformer.h.0.mlp.c_fc', 'c_fc', F, 32, true, true],
        ['transformer.h.0.mlp.c_proj', 'c_proj', 32, F, true, true],
      ]);
    });
  }

  it('loads the same model from picked browser Files (a webkitdirectory listing)', async () => {
    const files = [...fixtureFiles('gpt2')].map(([name, data]) => {
      const file = new File([data], name);
      Object.defineProperty(file, 'webkitRelativePath', { value: `gpt2/${name}` });
      return file;
    });
    const model = await openModel(browserFiles(files));
    expect(model.spec.architecture).toBe('gpt2');
    const fromDisk = await weightsOf(await openModel(await nodeModelFiles(join(FIXTURES, 'gpt2'))));
    expect(await weightsOf(model)).toEqual(fromDisk);
  });
});
