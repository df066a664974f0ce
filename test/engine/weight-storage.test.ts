// Frozen linear weights stored in 16 bits give the model of f32 storage: a BF16 (or F16) checkpoint
// widened to f32 is exact, so the stored-format kernels must reproduce the f32 engine's logits and
// every gradient (adapters', the scan's dW, the input's) up to summation order. int8 and q4 only
// approximate W: their logit error against 16-bit storage is measured and bounded loosely.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWeights, destroyWeights, type LoadedWeights } from '../../src/engine/load';
import { Transformer } from '../../src/engine/transformer';
import { Random } from '../../src/engine/random';
import { blockLinears, linearName } from '../../src/engine/architecture';
import { memoryFiles, memorySource } from '../../src/model/bytes';
import { checkpointDtype, openModel, type OpenedModel } from '../../src/model/load';
import { nodeModelFiles } from '../../src/model/node-files';
import { SafetensorsFile, writeSafetensors } from '../../src/model/safetensors';
import type { WeightFormat } from '../../src/engine/weight-format';
import { testGpu } from '../gpu';
import { fixturePath } from './fixtures';

const [B, T, RANK] = [2, 7, 3];

interface Outputs {
  logits: Float32Array;
  gradients: Map<string, Float32Array>;
}

/** Forward and backward of one batch with fixed adapters, every weight gradient of the scan tracked. */
async function run(opened: OpenedModel, format: WeightFormat): Promise<Outputs> {
  const gpu = await testGpu();
  const spec = opened.spec;
  const weights: LoadedWeights = await loadWeights(gpu, opened, format);
  // Every linear W is in the stored format (and only there), none of them in f32.
  expect(weights.packed.size).toBe(format === 'f32' ? 0 : opened.targets.length);
  for (const t of opened.targets) expect(weights.buffers.has(`${t.name}.weight`)).toBe(format === 'f32');
  const model = new Transformer(gpu, spec, weights.buffers, { B, T }, weights.packed);
  try {
    const rng = new Random(7);
    const tokens = Uint32Array.from({ length: B * T }, () => Math.floor(rng.next() * spec.vocabSize));
    const targets = Int32Array.from(tokens, (_, i) => (i % T < T - 1 ? tokens[i + 1] : -100));
    const count = targets.filter((t) => t >= 0).length;
    const names: string[] = [];
    for (let l = 0; l < spec.layers; l++) {
      for (const linear of blockLinears(spec)) {
        const name = linearName(l, linear.kind);
        names.push(name);
        model.attachAdapter(name, RANK, 0.7, rng.floats(RANK * linear.in, -0.3, 0.3), rng.floats(linear.out * RANK, -0.3, 0.3));
        model.trackWeightGradient(name);
      }
    }
    model.setBatch(tokens, targets);
    await gpu.run('logits', (enc) => model.forward(enc, null));
    const logits = await gpu.readF32(model.logits);
    await gpu.run('gradients', (enc) => {
      model.forward(enc, 1 / count);
      model.backward(enc);
    });
    const gradients = new Map<string, Float32Array>([['input', await gpu.readF32(model.inputGradient)]]);
    for (const name of names) {
      const a = model.adapters.get(name)!;
      gradients.set(`${name} dA`, await gpu.readF32(a.dA));
      gradients.set(`${name} dB`, await gpu.readF32(a.dB));
      gradients.set(`${name} dW`, await gpu.readF32(model.weightGradient(name)));
    }
    return { logits, gradients };
  } finally {
    model.destroy();
    destroyWeights(weights);
  }
}

/** max |a − b| / max |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

function expectSame(stored: Outputs, f32: Outputs, label: string): void {
  const errors = [['logits', relativeError(stored.logits, f32.logits)] as const, ...[...f32.gradients].map(([k, v]) => [k, relativeError(stored.gradients.get(k)!, v)] as const)];
  const worst = errors.reduce((w, e) => (e[1] > w[1] ? e : w));
  console.log(`${label}: logits ${errors[0][1].toExponential(2)}, worst of ${errors.length} outputs ${worst[1].toExponential(2)} (${worst[0]})`);
  for (const [name, error] of errors) expect(error, `${label} ${name}`).toBeLessThanOrEqual(1e-5);
}

/** The smollm2 (F32) fixture re-saved with the tensors `narrow` picks in `dtype`, the rest in F32. */
async function resaved(dtype: 'F16' | 'BF16', narrow: (name: string) => boolean): Promise<OpenedModel> {
  const dir = fixturePath('smollm2');
  const file = await SafetensorsFile.open(memorySource('model.safetensors', await readFile(join(dir, 'model.safetensors'))));
  const tensors = await Promise.all(
    file.names().map(async (name) => ({ name, dtype: narrow(name) ? dtype : ('F32' as const), shape: [...file.info(name).shape], data: await file.readFloats(name) })),
  );
  const files = new Map<string, Uint8Array>([['model.safetensors', writeSafetensors(tensors)]]);
  for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) files.set(name, await readFile(join(dir, name)));
  return openModel(memoryFiles(files));
}

describe('16-bit frozen weights', () => {
  it('a BF16 checkpoint stored in bf16 matches f32 storage: logits and every gradient within 1e-5 relative', async () => {
    const opened = await openModel(await nodeModelFiles(fixturePath('smollm2-bf16')));
    expect(checkpointDtype(opened)).toBe('BF16');
    expectSame(await run(opened, 'bf16'), await run(opened, 'f32'), 'bf16');
  });

  it('an F16 checkpoint stored in f16 matches f32 storage', async () => {
    const opened = await resaved('F16', () => true);
    expect(checkpointDtype(opened)).toBe('F16');
    expectSame(await run(opened, 'f16'), await run(opened, 'f32'), 'f16');
  });

  it('an F32 checkpoint stored in bf16 on request is the model with its linear weights rounded to bf16', async () => {
    const f32Checkpoint = await openModel(await nodeModelFiles(fixturePath('smollm2')));
    expect(checkpointDtype(f32Checkpoint)).toBe('F32');
    // The same rounding done by the checkpoint instead: its linear weights saved as BF16, read in f32.
    const rounded = await resaved('BF16', (name) => name.endsWith('_proj.weight'));
    expectSame(await run(f32Checkpoint, 'bf16'), await run(rounded, 'f32'), 'f32 → bf16');
  });
});

describe('quantised frozen weights', () => {
  // Against the checkpoint's own precision: 16 bits for the BF16 fixture, f32 for the others.
  for (const fixture of ['smollm2-bf16', 'qwen2', 'llama32', 'gpt2'] as const) {
    for (const format of ['int8', 'q4'] as const) {
      it(`${fixture}, ${format}: logits close to the checkpoint's precision (error measured)`, async () => {
        const opened = await openModel(await nodeModelFiles(fixturePath(fixture)));
        const reference = await run(opened, checkpointDtype(opened) === 'BF16' ? 'bf16' : 'f32');
        const quantised = await run(opened, format);
        const error = relativeError(quantised.logits, reference.logits);
        let largest = 0;
        for (let i = 0; i < reference.logits.length; i++) largest = Math.max(largest, Math.abs(quantised.logits[i] - reference.logits[i]));
        console.log(`${fixture} ${format}: largest logit error ${largest.toExponential(3)} (${error.toExponential(2)} of the largest logit)`);
        // A decoding fault (wrong nibble, scale or sign) moves logits by their own size; quantisation by a few per cent.
        expect(error).toBeLessThan(format === 'int8' ? 0.02 : 0.15);
        expect(error).toBeGreaterThan(0);
      });
    }
  }
});
