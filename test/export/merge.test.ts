// Merged export: each adapter's s·B·A added into its weight, written as a model folder that loads
// back as a model. On every fixture (Llama, Qwen2 with biases, GPT-2's transposed Conv1D and fused
// q/k/v, T5 v1.0 and v1.1) the merged folder's logits equal the base model's with the adapters
// attached, within 1e-5 relative in f32; in bf16 its weights are the merged f32 weights rounded.
// Checkpoints above the shard size are written in shards with an index that reads back.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryFiles } from '../../src/model/bytes';
import { Checkpoint } from '../../src/model/checkpoint';
import { nodeModelFiles } from '../../src/model/node-files';
import { openAnyModel, type AnyOpenedModel } from '../../src/model/open';
import { prepareDataset } from '../../src/data/prepare';
import { mergeAdapter, mergedModelFiles } from '../../src/export/merge';
import { readCompanionFiles, weightFiles } from '../../src/export/full-model';
import { modelKind } from '../../src/train/model-kinds';
import { Random } from '../../src/engine/random';
import { f32ToBf16, bf16ToF32 } from '../../src/model/dtype';
import type { LoadedAdapter } from '../../src/export/peft';
import { testGpu } from '../gpu';
import { fixturePath } from '../engine/fixtures';

const DATA = readFileSync(join(import.meta.dirname, '..', 'datasets', 'sentiment.jsonl'), 'utf8').split('\n').slice(0, 40).join('\n');

/** Random adapters of rank 2 on every target, large enough to change the logits. */
function randomAdapters(model: AnyOpenedModel, seed: number): Map<string, LoadedAdapter> {
  const rng = new Random(seed);
  return new Map(model.targets.map((t) => [t.name, { rank: 2, scale: 0.75, A: rng.floats(2 * t.in, -0.3, 0.3), B: rng.floats(t.out * 2, -0.3, 0.3) }]));
}

/** The logits of the first validation batch, with these adapters attached. */
async function logits(model: AnyOpenedModel, adapters: ReadonlyMap<string, LoadedAdapter>): Promise<Float32Array> {
  const kind = modelKind(model);
  const data = prepareDataset(DATA, 'sentiment.jsonl', model.tokenizer!, { seqLen: 32, batchSize: 2, seed: 0, seq2seq: kind.seq2seq(model) ?? undefined });
  const built = await kind.build(await testGpu(), model, { B: 2, S: 32, T: data.targetLen }, 'f32', () => {});
  try {
    for (const [name, a] of adapters) built.model.attachAdapter(name, a.rank, a.scale, a.A, a.B);
    built.model.useBatch(data.valBatchAt(0));
    await built.model.gpu.run('logits', (enc) => built.model.forward(enc, null));
    return await built.model.gpu.readF32(built.model.logits);
  } finally {
    built.release();
  }
}

describe('mergeAdapter', () => {
  it('adds s·B·A into W', () => {
    const W = Float32Array.from([1, 2, 3, 4, 5, 6]); // [2, 3]
    mergeAdapter(W, { rank: 1, scale: 2, A: Float32Array.from([1, 0, -1]), B: Float32Array.from([0.5, 3]) }, 2, 3);
    expect([...W]).toEqual([2, 2, 2, 10, 5, 0]);
    expect(() => mergeAdapter(W, { rank: 2, scale: 1, A: new Float32Array(6), B: new Float32Array(2) }, 2, 3)).toThrow(/does not fit a \[2, 3\] weight/);
  });
});

describe('a merged model folder', () => {
  for (const fixture of ['smollm2', 'qwen2', 'gpt2', 't5', 't5-v1_1']) {
    it(`${fixture}: its logits equal the base model's with the adapters, and it loads back`, async () => {
      const files = await nodeModelFiles(fixturePath(fixture));
      const model = await openAnyModel(files);
      const adapters = randomAdapters(model, 3);
      const merged = await mergedModelFiles(model, adapters, { dtype: 'F32', companionFiles: await readCompanionFiles(files) });
      expect([...merged.keys()].sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
      const reopened = await openAnyModel(memoryFiles(merged));
      expect(reopened.kind).toBe(model.kind);
      const want = await logits(model, adapters);
      const got = await logits(reopened, new Map());
      const largest = Math.max(...want.map(Math.abs));
      const worst = Math.max(...got.map((g, i) => Math.abs(g - want[i])));
      console.log(`${fixture}: merged vs adapted logits, max |Δ| / max |logit| = ${(worst / largest).toExponential(2)} (limit 1e-5)`);
      expect(worst).toBeLessThanOrEqual(1e-5 * largest);
      // And the adapters did change the model.
      const base = await logits(model, new Map());
      expect(Math.max(...base.map((b, i) => Math.abs(b - want[i])))).toBeGreaterThan(1e-3 * largest);
    });
  }

  it('in bf16 holds the merged weights rounded to bf16, and says so in config.json', async () => {
    const files = await nodeModelFiles(fixturePath('smollm2'));
    const model = await openAnyModel(files);
    const adapters = randomAdapters(model, 4);
    const companionFiles = await readCompanionFiles(files);
    const f32 = await Checkpoint.open(memoryFiles(await mergedModelFiles(model, adapters, { dtype: 'F32', companionFiles })));
    const bf16Files = await mergedModelFiles(model, adapters, { dtype: 'BF16', companionFiles });
    expect(JSON.parse(new TextDecoder().decode(bf16Files.get('config.json'))).torch_dtype).toBe('bfloat16');
    const bf16 = await Checkpoint.open(memoryFiles(bf16Files));
    for (const name of f32.names()) {
      expect(bf16.tensor(name).dtype).toBe('BF16');
      const rounded = (await f32.readFloats(name)).map((x) => bf16ToF32(f32ToBf16(x)));
      expect([...(await bf16.readFloats(name))], name).toEqual([...rounded]);
    }
  });

  it('is written in shards with an index above the shard size, which reads back', async () => {
    const rng = new Random(5);
    const tensors = Array.from({ length: 5 }, (_, i) => ({ name: `t${i}`, dtype: 'F32' as const, shape: [10, 10], data: rng.floats(100) }));
    const files = weightFiles(tensors, 900);
    expect([...files.keys()].sort()).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors', 'model.safetensors.index.json']);
    const index = JSON.parse(new TextDecoder().decode(files.get('model.safetensors.index.json')));
    expect(index.metadata.total_size).toBe(2000);
    const checkpoint = await Checkpoint.open(memoryFiles(files));
    for (const t of tensors) expect([...(await checkpoint.readFloats(t.name))]).toEqual([...t.data]);
  });
});
