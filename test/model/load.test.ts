// Failures of openModel, Checkpoint and readWeights: each one a ModelFormatError naming the file and
// the tensor or field at fault.

import { describe, expect, it } from 'vitest';
import { memoryFiles } from '../../src/model/bytes';
import { Checkpoint } from '../../src/model/checkpoint';
import { parseConfig } from '../../src/model/config';
import { ModelFormatError } from '../../src/model/errors';
import { openModel } from '../../src/model/load';
import { SafetensorsFile, writeSafetensors } from '../../src/model/safetensors';
import { linearTargets, readWeights, transpose, weightEntries } from '../../src/model/weights';
import { memorySource } from '../../src/model/bytes';
import { fixtureFiles, fixtureJson, jsonBytes } from './helpers';

async function expectOpenError(files: Map<string, Uint8Array<ArrayBuffer>>, pattern: RegExp): Promise<void> {
  const error = await openModel(memoryFiles(files)).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFormatError);
  expect((error as Error).message).toMatch(pattern);
}

/** The fixture's single safetensors file rewritten with `edit` applied to its tensors. */
async function rewriteWeights(
  files: Map<string, Uint8Array<ArrayBuffer>>,
  edit: (tensors: Array<{ name: string; shape: number[]; data: Float32Array }>) => Array<{ name: string; shape: number[]; data: Float32Array }>,
): Promise<void> {
  const file = await SafetensorsFile.open(memorySource('model.safetensors', files.get('model.safetensors')!));
  const tensors = await Promise.all(file.names().map(async (name) => ({ name, shape: file.info(name).shape, data: await file.readFloats(name) })));
  files.set('model.safetensors', writeSafetensors(edit(tensors).map((t) => ({ ...t, dtype: 'F32' as const }))));
}

describe('openModel failures', () => {
  it('refuses a folder without config.json', async () => {
    const files = fixtureFiles('smollm2');
    files.delete('config.json');
    await expectOpenError(files, /config\.json: not found/);
  });

  it('refuses a folder without safetensors weights, naming a .bin that cannot be used', async () => {
    const files = fixtureFiles('smollm2');
    files.delete('model.safetensors');
    await expectOpenError(files, /model\.safetensors: not found, nor model\.safetensors\.index\.json/);
    files.set('pytorch_model.bin', new Uint8Array(16));
    await expectOpenError(files, /only pytorch_model\.bin is present, and only safetensors weights can be loaded/);
  });

  it('refuses an index that names a missing shard, or a tensor its shard lacks', async () => {
    const files = fixtureFiles('llama32');
    const missing = new Map(files);
    missing.delete('model-00002-of-00002.safetensors');
    await expectOpenError(missing, /model\.safetensors\.index\.json: names shard model-00002-of-00002\.safetensors \(for tensor "[^"]+"\), which is not in the folder/);
    const index = fixtureJson('llama32', 'model.safetensors.index.json') as { weight_map: Record<string, string> };
    index.weight_map['model.norm.weight'] = 'model-00001-of-00002.safetensors';
    files.set('model.safetensors.index.json', jsonBytes(index));
    await expectOpenError(files, /model-00001-of-00002\.safetensors: has no tensor "model\.norm\.weight"/);
    files.set('model.safetensors.index.json', new TextEncoder().encode('{"weight_map": '));
    await expectOpenError(files, /model\.safetensors\.index\.json: is not valid JSON/);
  });

  it('refuses a checkpoint whose shapes do not match config.json, naming the tensor and both shapes', async () => {
    const files = fixtureFiles('smollm2');
    files.set('config.json', jsonBytes({ ...fixtureJson('smollm2', 'config.json'), intermediate_size: 100 }));
    await expectOpenError(
      files,
      /model\.safetensors: tensor "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[128, 48\] but config\.json implies \[100, 48\]/,
    );
  });

  it('refuses a missing tensor', async () => {
    const files = fixtureFiles('smollm2');
    await rewriteWeights(files, (ts) => ts.filter((t) => t.name !== 'model.layers.1.mlp.up_proj.weight'));
    await expectOpenError(files, /tensor "model\.layers\.1\.mlp\.up_proj\.weight" \(layers\.1\.mlp\.up\.weight\) is missing/);
  });

  it('refuses an untied config without lm_head.weight', async () => {
    const files = fixtureFiles('smollm2');
    files.set('config.json', jsonBytes({ ...fixtureJson('smollm2', 'config.json'), tie_word_embeddings: false }));
    await expectOpenError(files, /tie_word_embeddings is false, but there is no lm_head\.weight/);
  });

  it('refuses weights the config does not account for (Qwen2 biases under a Llama config)', async () => {
    const files = fixtureFiles('qwen2');
    files.set('config.json', jsonBytes({ ...fixtureJson('qwen2', 'config.json'), model_type: 'llama' }));
    await expectOpenError(files, /config\.json \(model_type llama\) does not account for: model\.layers\.0\.self_attn\.k_proj\.bias, model\.layers\.0\.self_attn\.q_proj\.bias/);
  });

  it('refuses an unsupported model_type and a missing config field, naming config.json', async () => {
    const files = fixtureFiles('gpt2');
    files.set('config.json', jsonBytes({ ...fixtureJson('gpt2', 'config.json'), model_type: 'gpt_neox' }));
    await expectOpenError(files, /config\.json: model_type "gpt_neox" is not supported/);
    const { n_layer: _, ...withoutLayers } = fixtureJson('gpt2', 'config.json');
    files.set('config.json', jsonBytes(withoutLayers));
    await expectOpenError(files, /config\.json: "n_layer" is missing/);
  });

  it('refuses a tokenizer with more tokens than the model has embeddings', async () => {
    const files = fixtureFiles('gpt2');
    files.set('config.json', jsonBytes({ ...fixtureJson('gpt2', 'config.json'), vocab_size: 200 }));
    await rewriteWeights(files, (ts) =>
      ts.map((t) => (t.name === 'transformer.wte.weight' ? { ...t, shape: [200, 32], data: t.data.slice(0, 200 * 32) } : t)),
    );
    await expectOpenError(files, /tokenizer\.json: has token ids up to 298, beyond config\.json's vocab_size 200/);
  });
});

describe('readWeights', () => {
  it('checks every shape before reading, naming the tensor and both shapes', async () => {
    const checkpoint = await Checkpoint.open(memoryFiles(fixtureFiles('gpt2')));
    const spec = parseConfig(fixtureJson('gpt2', 'config.json'));
    const entries = weightEntries({ ...spec, intermediateSize: 64 }, checkpoint.names());
    const reading = readWeights(checkpoint, entries);
    await expect(reading.next()).rejects.toThrow(
      /model\.safetensors: tensor "transformer\.h\.0\.mlp\.c_fc\.weight" has shape \[32, 128\] but config\.json implies \[32, 64\]/,
    );
  });

  it('refuses an entry whose tensor is not in the checkpoint', async () => {
    const checkpoint = await Checkpoint.open(memoryFiles(fixtureFiles('gpt2')));
    const reading = readWeights(checkpoint, [{ name: 'embed', hfName: 'wte.weight', shape: [320, 32], transposed: false }]);
    await expect(reading.next()).rejects.toThrow(/tensor "wte\.weight" \(embed\) is missing/);
  });

  it('weightEntries refuses a GPT-2 checkpoint without token embeddings', () => {
    const spec = parseConfig(fixtureJson('gpt2', 'config.json'));
    expect(() => weightEntries(spec, ['h.0.ln_1.weight'])).toThrow(/no GPT-2 token embedding \(transformer\.wte\.weight or wte\.weight\)/);
  });

  it('transposes [rows, cols] to [cols, rows]', () => {
    expect(Array.from(transpose(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('linearTargets', () => {
  it('prefixes module names for PEFT adapter keys', () => {
    const spec = parseConfig(fixtureJson('qwen2', 'config.json'));
    const targets = linearTargets(spec, 'base_model.model.');
    expect(targets[1]).toEqual({
      name: 'layers.0.attn.k',
      module: 'base_model.model.model.layers.0.self_attn.k_proj',
      shortName: 'k_proj',
      out: 8,
      in: 32,
      hasBias: true,
      conv1d: false,
    });
    expect(targets[3]).toMatchObject({ shortName: 'o_proj', out: 32, in: 32, hasBias: false });
  });
});
