// A vocabulary larger than one storage binding (src/engine/row-chunks.ts, vocab-chunks.ts, lm-head.ts):
// with the device's binding limit lowered to about a third of the embedding's size, the engine splits
// the embedding (and an untied lm_head) into uneven row chunks and runs the head over uneven passes of
// token rows (the [N, V] logits exceed the limit too), and its logits, loss and every gradient —
// adapters, frozen W for the scan, the input, and full training's gradients of the split tables —
// match the unsplit engine and the CPU reference within the parity tolerances of transformer.test.ts
// and full.test.ts.

import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import { Transformer } from '../../src/engine/transformer';
import { ReferenceTransformer } from '../../src/engine/ref/transformer';
import { blockLinears, linearName } from '../../src/engine/architecture';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { joinRowChunks, parseChunkName, uploadWeightMap } from '../../src/engine/row-chunks';
import { headRowsPerPass } from '../../src/engine/lm-head';
import { generateTokens } from '../../src/engine/generate';
import { argmax } from '../../src/engine/sampling';
import type { ModelSpec } from '../../src/model/spec';
import { expectClose, testGpu } from '../gpu';
import { loadFixture } from './fixtures';

const RANK = 3;
const SCALE = 0.7;
const SHAPE = { B: 3, T: 9 };
const { B, T } = SHAPE;

// Tied head (SmolLM2), untied lm_head (Llama 3.2), learned positions and LayerNorm (GPT-2).
const ARCHITECTURES = ['smollm2', 'llama32', 'gpt2'] as const;

function maxAbs(x: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]));
  return max;
}

/** Random tokens (one repeated) with next-token targets, the first two positions of each row masked. */
function randomBatch(spec: ModelSpec, seed: number, { B, T } = SHAPE) {
  const rng = new Random(seed);
  const tokens = Uint32Array.from({ length: B * T }, () => Math.floor(rng.next() * spec.vocabSize));
  tokens[B * T - 2] = tokens[1];
  tokens[3] = spec.vocabSize - 1; // the last row of the last chunk
  const targets = new Int32Array(B * T).fill(-100);
  for (let b = 0; b < B; b++) for (let t = 2; t < T - 1; t++) targets[b * T + t] = tokens[b * T + t + 1];
  return { tokens, targets, count: targets.filter((t) => t >= 0).length };
}

/**
 * A binding limit below the embedding's and the logits' bytes that still holds every other tensor:
 * about a third of the embedding where that is enough, and never a whole number of rows of either.
 */
function lowerLimit(spec: ModelSpec, weights: Map<string, Float32Array>): number {
  const rowBytes = spec.hiddenSize * 4;
  const embedBytes = spec.vocabSize * rowBytes;
  const others = Math.max(...[...weights].filter(([name]) => name !== 'embed' && name !== 'lm_head').map(([, w]) => w.byteLength));
  const limit = Math.max(Math.ceil(embedBytes / 3), others) + rowBytes / 2;
  expect(limit).toBeLessThan(embedBytes);
  // The head then runs in passes of R token rows, the last one shorter.
  const R = headRowsPerPass(B * T, spec.vocabSize, limit);
  expect(R).toBeLessThan(B * T);
  expect((B * T) % R).not.toBe(0);
  return limit;
}

const columns = (spec: ModelSpec) => (name: string) => (name === 'embed' || name === 'lm_head' || name === 'pos_embed' ? spec.hiddenSize : 1);

/**
 * The model built under `limit` (null: the device's own): its weights, the row counts of each split
 * table's chunks, and whether the head made scratch for passes over token rows.
 */
function build(gpu: Gpu, spec: ModelSpec, weights: Map<string, Float32Array>, limit: number | null, shape = SHAPE) {
  const labels: string[] = [];
  const createBuffer = gpu.createBuffer;
  gpu.createBuffer = (label, ...rest) => {
    labels.push(label);
    return createBuffer.call(gpu, label, ...rest);
  };
  gpu.bindingLimit = limit;
  try {
    const buffers = uploadWeightMap(gpu, weights, columns(spec));
    const chunkRows = new Map<string, number[]>();
    for (const [key, buffer] of buffers) {
      const { name, index } = parseChunkName(key);
      if (index !== null) chunkRows.set(name, [...(chunkRows.get(name) ?? []), buffer.size / 4 / spec.hiddenSize]);
    }
    const model = new Transformer(gpu, spec, buffers, shape);
    return { buffers, model, chunkRows, headPasses: labels.includes('head pass logits') };
  } finally {
    gpu.bindingLimit = null;
    gpu.createBuffer = createBuffer;
  }
}

describe('a vocabulary split across bindings gives the unsplit results', () => {
  for (const arch of ARCHITECTURES) {
    it(`${arch}: logits, loss, adapter, frozen-W and input gradients`, async () => {
      const gpu = await testGpu();
      const { model: opened, weights } = await loadFixture(arch);
      const spec = opened.spec;
      const limit = lowerLimit(spec, weights);
      const batch = randomBatch(spec, 3);
      const rng = new Random(2);
      const adapters = new Map<string, { A: Float32Array; B: Float32Array }>();
      for (let l = 0; l < spec.layers; l++) {
        for (const linear of blockLinears(spec)) adapters.set(linearName(l, linear.kind), { A: rng.floats(RANK * linear.in, -0.3, 0.3), B: rng.floats(linear.out * RANK, -0.3, 0.3) });
      }

      const ref = new ReferenceTransformer(spec, new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)])), B, T);
      for (const [name, { A, B: Bm }] of adapters) {
        ref.adapters.set(name, { rank: RANK, scale: SCALE, A: Float64Array.from(A), B: Float64Array.from(Bm), dA: new Float64Array(A.length), dB: new Float64Array(Bm.length) });
        ref.weightGradients.set(name, new Float64Array(weights.get(`${name}.weight`)!.length));
      }
      const want = ref.forward(batch.tokens, batch.targets);
      ref.backward();

      const runEngine = async (bindingLimit: number | null) => {
        const { buffers, model, chunkRows, headPasses } = build(gpu, spec, weights, bindingLimit);
        for (const [name, init] of adapters) {
          model.attachAdapter(name, RANK, SCALE, init.A, init.B);
          model.trackWeightGradient(name);
        }
        model.setBatch(batch.tokens, batch.targets);
        await gpu.run('forward', (enc) => model.forward(enc, null));
        const out = new Map<string, Float32Array>([
          ['logits', await gpu.readF32(model.logits)],
          ['loss', Float32Array.of((await gpu.readF32(model.losses)).reduce((a, b) => a + b, 0) / batch.count)],
        ]);
        await gpu.run('forward and backward', (enc) => {
          model.forward(enc, 1 / batch.count);
          model.backward(enc);
        });
        out.set('input gradient', await gpu.readF32(model.inputGradient));
        for (const [name, adapter] of model.adapters) {
          out.set(`${name} dA`, await gpu.readF32(adapter.dA));
          out.set(`${name} dB`, await gpu.readF32(adapter.dB));
          out.set(`${name} dW`, await gpu.readF32(model.weightGradients.get(name)!));
        }
        model.destroy();
        buffers.forEach((b) => b.destroy());
        return { out, chunkRows, headPasses };
      };

      const split = await runEngine(limit);
      const whole = await runEngine(null);
      // The tables really were split, unevenly; the unsplit run kept them whole.
      const splitTables = spec.tiedEmbeddings ? ['embed'] : ['embed', 'lm_head'];
      for (const name of splitTables) {
        const rows = split.chunkRows.get(name)!;
        expect(rows.length, `${arch} ${name} chunks`).toBeGreaterThan(1);
        expect(rows.reduce((a, b) => a + b, 0)).toBe(spec.vocabSize);
        expect(rows.at(-1)).toBeLessThan(rows[0]);
        expect(rows[0] * spec.hiddenSize * 4).toBeLessThanOrEqual(limit);
      }
      expect(whole.chunkRows.size).toBe(0);
      expect([split.headPasses, whole.headPasses]).toEqual([true, false]);

      const expected = new Map<string, ArrayLike<number>>([
        ['logits', want.logits],
        ['loss', [want.loss]],
        ['input gradient', ref.inputGradient],
      ]);
      for (const [name, r] of ref.adapters) {
        expected.set(`${name} dA`, r.dA);
        expected.set(`${name} dB`, r.dB);
        expected.set(`${name} dW`, ref.weightGradients.get(name)!);
      }
      const tolerance = (name: string, w: ArrayLike<number>) => (name === 'logits' ? 1e-4 * maxAbs(w) : name === 'loss' ? 1e-5 * w[0] : 2e-4 * maxAbs(w) + 1e-7);
      const results: Comparison[] = [];
      for (const [name, w] of expected) {
        results.push(compareArrays(`${arch} split ${name} vs reference`, split.out.get(name)!, w, tolerance(name, w)));
        const unsplit = whole.out.get(name)!;
        results.push(compareArrays(`${arch} split ${name} vs unsplit`, split.out.get(name)!, unsplit, tolerance(name, unsplit)));
      }
      expectClose(results);
    });
  }
});

describe('full training over a split vocabulary', () => {
  for (const arch of ARCHITECTURES) {
    it(`${arch}: the gradient of every weight, split tables joined, matches the CPU reference`, async () => {
      const gpu = await testGpu();
      const { model: opened, weights } = await loadFixture(arch);
      const spec = opened.spec;
      const ref = new ReferenceTransformer(spec, new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)])), B, T);
      for (const [name, w] of weights) ref.parameterGradients.set(name, new Float64Array(w.length));
      const { buffers, model, chunkRows, headPasses } = build(gpu, spec, weights, lowerLimit(spec, weights));
      expect(chunkRows.get('embed')!.length).toBeGreaterThan(1);
      expect(headPasses).toBe(true);
      const grads = model.trackParameterGradients();
      // Two micro-batches: the split gradients accumulate (+=) like the whole ones.
      for (const seed of [3, 4]) {
        const batch = randomBatch(spec, seed);
        ref.forward(batch.tokens, batch.targets);
        ref.backward();
        model.setBatch(batch.tokens, batch.targets);
        await gpu.run('forward and backward', (enc) => {
          model.forward(enc, 1 / batch.count);
          model.backward(enc);
        });
      }
      const read = new Map<string, Float32Array>();
      for (const [key, buffer] of grads) read.set(key, await gpu.readF32(buffer));
      const joined = joinRowChunks(read);
      expect([...joined.keys()].sort()).toEqual([...weights.keys()].sort());
      const results: Comparison[] = [];
      for (const [name, got] of joined) {
        const want = ref.parameterGradients.get(name)!;
        results.push(compareArrays(`${arch} split d${name}`, got, want, 2e-4 * maxAbs(want) + 1e-7));
      }
      model.destroy();
      buffers.forEach((b) => b.destroy());
      expectClose(results);
    });
  }
});

describe('logits above the binding limit with a vocabulary that fits it', () => {
  it('smollm2: the head runs in passes over the tokens; logits, loss and every full-training gradient match the reference', async () => {
    const gpu = await testGpu();
    const { model: opened, weights } = await loadFixture('smollm2');
    const spec = opened.spec;
    // N = 51 rows of 1,280 bytes of logits = 65,280 bytes; the embedding's 61,440 fit the limit,
    // which holds 48 rows of logits: passes of 48 and 3 token rows.
    const shape = { B: 3, T: 17 };
    const limit = spec.vocabSize * spec.hiddenSize * 4 + spec.hiddenSize * 2;
    expect(headRowsPerPass(shape.B * shape.T, spec.vocabSize, limit)).toBe(48);
    const batch = randomBatch(spec, 9, shape);
    const ref = new ReferenceTransformer(spec, new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)])), shape.B, shape.T);
    for (const [name, w] of weights) ref.parameterGradients.set(name, new Float64Array(w.length));
    const want = ref.forward(batch.tokens, batch.targets);
    ref.backward();

    const { buffers, model, chunkRows, headPasses } = build(gpu, spec, weights, limit, shape);
    expect([chunkRows.size, headPasses]).toEqual([0, true]);
    const grads = model.trackParameterGradients();
    model.setBatch(batch.tokens, batch.targets);
    await gpu.run('forward', (enc) => model.forward(enc, null));
    const logits = await gpu.readF32(model.logits);
    const loss = (await gpu.readF32(model.losses)).reduce((a, b) => a + b, 0) / batch.count;
    await gpu.run('forward and backward', (enc) => {
      model.forward(enc, 1 / batch.count);
      model.backward(enc);
    });
    const results: Comparison[] = [
      compareArrays('smollm2 passes logits', logits, want.logits, 1e-4 * maxAbs(want.logits)),
      compareArrays('smollm2 passes loss', [loss], [want.loss], 1e-5 * want.loss),
      compareArrays('smollm2 passes input gradient', await gpu.readF32(model.inputGradient), ref.inputGradient, 2e-4 * maxAbs(ref.inputGradient) + 1e-7),
    ];
    for (const [name, buffer] of grads) {
      const w = ref.parameterGradients.get(name)!;
      results.push(compareArrays(`smollm2 passes d${name}`, await gpu.readF32(buffer), w, 2e-4 * maxAbs(w) + 1e-7));
    }
    model.destroy();
    buffers.forEach((b) => b.destroy());
    expectClose(results);
  });
});

describe('decoding with a key/value cache over a split vocabulary', () => {
  for (const arch of ARCHITECTURES) {
    it(`${arch}: the unsplit model's greedy tokens and logits at every step`, async () => {
      const gpu = await testGpu();
      const { model: opened, weights } = await loadFixture(arch);
      const spec = opened.spec;
      const split = build(gpu, spec, weights, lowerLimit(spec, weights));
      const whole = build(gpu, spec, weights, null);
      expect(split.chunkRows.size).toBeGreaterThan(0);
      const prompt = Uint32Array.from([3, spec.vocabSize - 1, 7, 1, 12]);
      const run = async (model: Transformer) => {
        const logits: Float32Array[] = [];
        const tokens = await generateTokens(model, [prompt], { maxNewTokens: 5, stopToken: null, padToken: 0, pick: (row) => (logits.push(row.slice()), argmax(row)) });
        return { tokens, logits };
      };
      const [got, want] = [await run(split.model), await run(whole.model)];
      expect(got.tokens).toEqual(want.tokens);
      expectClose(got.logits.map((row, step) => compareArrays(`${arch} step ${step}`, row, want.logits[step], 1e-5 * maxAbs(want.logits[step]))));
      for (const { model, buffers } of [split, whole]) {
        model.destroy();
        buffers.forEach((b) => b.destroy());
      }
    });
  }
});
