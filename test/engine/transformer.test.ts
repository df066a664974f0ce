import { describe, expect, it } from 'vitest';
import { Transformer } from '../../src/engine/transformer';
import { ReferenceTransformer } from '../../src/engine/ref/transformer';
import { blockLinears, linearName } from '../../src/engine/architecture';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import type { ModelSpec } from '../../src/model/spec';
import { VARIANTS, expectClose, testGpu, withVariant } from '../gpu';
import { expectGradient } from '../finite-diff';
import { FIXTURES, loadFixture } from './fixtures';

const RANK = 3;
const SCALE = 0.7;

/** Token ids and next-token targets; the first `prompt` positions of each row are masked (−100). */
function randomBatch(spec: ModelSpec, B: number, T: number, seed: number, prompt = 2) {
  const rng = new Random(seed);
  const tokens = Uint32Array.from({ length: B * T }, () => Math.floor(rng.next() * spec.vocabSize));
  const targets = new Int32Array(B * T).fill(-100);
  for (let b = 0; b < B; b++) for (let t = prompt; t < T - 1; t++) targets[b * T + t] = tokens[b * T + t + 1];
  return { tokens, targets, count: targets.filter((t) => t >= 0).length };
}

function adapterInit(spec: ModelSpec, seed: number, rank = RANK): Map<string, { A: Float32Array; B: Float32Array }> {
  const rng = new Random(seed);
  const init = new Map<string, { A: Float32Array; B: Float32Array }>();
  for (let l = 0; l < spec.layers; l++) {
    for (const linear of blockLinears(spec)) {
      init.set(linearName(l, linear.kind), { A: rng.floats(rank * linear.in, -0.3, 0.3), B: rng.floats(linear.out * rank, -0.3, 0.3) });
    }
  }
  return init;
}

function reference(spec: ModelSpec, weights: Map<string, Float32Array>, adapters: ReturnType<typeof adapterInit>, B: number, T: number, rank = RANK): ReferenceTransformer {
  const f64 = new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)]));
  const ref = new ReferenceTransformer(spec, f64, B, T);
  for (const [name, { A, B: Bm }] of adapters) {
    ref.adapters.set(name, { rank, scale: SCALE, A: Float64Array.from(A), B: Float64Array.from(Bm), dA: new Float64Array(A.length), dB: new Float64Array(Bm.length) });
    ref.weightGradients.set(name, new Float64Array(weights.get(`${name}.weight`)!.length));
  }
  return ref;
}

function maxAbs(x: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]));
  return max;
}

/** Logits, loss and every gradient of the GPU transformer against the reference, on one fixture. */
async function parity(arch: string, rank: number, label: string): Promise<Comparison[]> {
  const gpu = await testGpu();
  const [B, T] = [2, 7];
  const { model: opened, weights } = await loadFixture(arch);
  const spec = opened.spec;
  const adapters = adapterInit(spec, 2, rank);
  const batch = randomBatch(spec, B, T, 3);

  const ref = reference(spec, weights, adapters, B, T, rank);
  const want = ref.forward(batch.tokens, batch.targets);
  ref.backward();

  const buffers = new Map([...weights].map(([name, data]) => [name, gpu.upload(name, data)]));
  const model = new Transformer(gpu, spec, buffers, { B, T });
  for (const [name, init] of adapters) {
    model.attachAdapter(name, rank, SCALE, init.A, init.B);
    model.trackWeightGradient(name);
  }
  model.setBatch(batch.tokens, batch.targets);
  await gpu.run('forward', (enc) => model.forward(enc, null));
  const logits = await gpu.readF32(model.logits);
  const losses = await gpu.readF32(model.losses);
  await gpu.run('forward and backward', (enc) => {
    model.forward(enc, 1 / batch.count);
    model.backward(enc);
  });

  const results: Comparison[] = [];
  results.push(compareArrays(`${label} logits`, logits, want.logits, 1e-4 * maxAbs(want.logits)));
  const loss = losses.reduce((a, b) => a + b, 0) / batch.count;
  results.push(compareArrays(`${label} loss`, [loss], [want.loss], 1e-5 * want.loss));
  const grad = async (what: string, buffer: GPUBuffer, expected: Float64Array) => {
    results.push(compareArrays(`${label} ${what}`, await gpu.readF32(buffer), expected, 2e-4 * maxAbs(expected) + 1e-7));
  };
  await grad('input gradient', model.inputGradient, ref.inputGradient);
  for (const [name, adapter] of model.adapters) {
    const r = ref.adapters.get(name)!;
    await grad(`${name} dA`, adapter.dA, r.dA as Float64Array);
    await grad(`${name} dB`, adapter.dB, r.dB as Float64Array);
    await grad(`${name} dW`, model.weightGradients.get(name)!, ref.weightGradients.get(name)!);
  }
  model.destroy();
  buffers.forEach((b) => b.destroy());
  return results;
}

describe('the GPU transformer matches the CPU reference', () => {
  for (const arch of FIXTURES) {
    it(`${arch}: logits, loss, and every gradient (LoRA A and B, frozen W, input)`, async () => {
      expectClose(await parity(arch, RANK, arch));
    });
  }

  // Rank 4 lets the vec4 kernel add the LoRA terms in the base product's pass (rank 3 above takes a
  // second pass); the parallel variant runs the tiled kernel, which always takes a second pass.
  for (const variant of VARIANTS) {
    it(`smollm2 with rank-4 adapters on the ${variant} kernels`, async () => {
      const gpu = await testGpu();
      expectClose(await withVariant(gpu, variant, () => parity('smollm2', 4, `smollm2 rank 4 ${variant}`)));
    });
  }
});

describe("the reference transformer's gradients match finite differences", () => {
  for (const arch of ['smollm2', 'qwen2', 'llama32', 'gpt2']) {
    it(arch, async () => {
      const [B, T] = [1, 5];
      const { model: opened, weights } = await loadFixture(arch);
      const spec = opened.spec;
      const adapters = adapterInit(spec, 5);
      // Distinct tokens, so each embedding row feeds exactly one position.
      const tokens = Uint32Array.from([3, 17, 8, 40, 25]);
      const targets = Int32Array.from([-100, 8, 40, 25, -100]);
      const ref = reference(spec, weights, adapters, B, T);
      const loss = () => ref.forward(tokens, targets).loss;
      loss();
      ref.backward();
      const first = linearName(0, blockLinears(spec)[0].kind);
      const last = linearName(spec.layers - 1, blockLinears(spec).at(-1)!.kind);
      for (const name of [first, last]) {
        const adapter = ref.adapters.get(name)!;
        expectGradient(`${arch} ${name} dA`, loss, adapter.A as Float64Array, adapter.dA, { samples: 24 });
        expectGradient(`${arch} ${name} dB`, loss, adapter.B as Float64Array, adapter.dB, { samples: 24 });
        expectGradient(`${arch} ${name} dW`, loss, ref.weights.get(`${name}.weight`)!, ref.weightGradients.get(name)!, { samples: 24 });
      }
      // ∂L/∂(embedding output) at position t is the gradient of the token's embedding row when the
      // head is untied (llama32) or of the position's row (GPT-2, B = 1).
      if (!spec.tiedEmbeddings || !spec.rope) {
        const C = spec.hiddenSize;
        const table = spec.rope ? ref.weights.get('embed')! : ref.weights.get('pos_embed')!;
        const rows = spec.rope ? [...tokens] : [0, 1, 2, 3, 4];
        for (const [t, row] of rows.entries()) {
          const view = table.subarray(row * C, (row + 1) * C);
          expectGradient(`${arch} input gradient at t=${t}`, loss, view, ref.inputGradient.subarray(t * C, (t + 1) * C), { samples: 8 });
        }
      }
      expect(ref.forward(tokens, targets).loss).toBeGreaterThan(0);
    });
  }
});

describe('gradient accumulation across micro-batches', () => {
  it('adds the gradients of consecutive backward passes (adapters and frozen W)', async () => {
    const gpu = await testGpu();
    const [B, T] = [1, 6];
    const { model: opened, weights } = await loadFixture('qwen2');
    const spec = opened.spec;
    const adapters = adapterInit(spec, 8);
    const batches = [randomBatch(spec, B, T, 11, 1), randomBatch(spec, B, T, 12, 3)];

    const ref = reference(spec, weights, adapters, B, T);
    for (const batch of batches) {
      ref.forward(batch.tokens, batch.targets);
      ref.backward();
    }
    const buffers = new Map([...weights].map(([name, data]) => [name, gpu.upload(name, data)]));
    const model = new Transformer(gpu, spec, buffers, { B, T });
    for (const [name, init] of adapters) {
      model.attachAdapter(name, RANK, SCALE, init.A, init.B);
      model.trackWeightGradient(name);
    }
    for (const batch of batches) {
      model.setBatch(batch.tokens, batch.targets);
      await gpu.run('micro-batch', (enc) => {
        model.forward(enc, 1 / batch.count);
        model.backward(enc);
      });
    }
    const results: Comparison[] = [];
    for (const [name, adapter] of model.adapters) {
      const r = ref.adapters.get(name)!;
      results.push(compareArrays(`${name} dA (2 micro-batches)`, await gpu.readF32(adapter.dA), r.dA, 2e-4 * maxAbs(r.dA) + 1e-7));
      results.push(compareArrays(`${name} dB (2 micro-batches)`, await gpu.readF32(adapter.dB), r.dB, 2e-4 * maxAbs(r.dB) + 1e-7));
      const dW = ref.weightGradients.get(name)!;
      results.push(compareArrays(`${name} dW (2 micro-batches)`, await gpu.readF32(model.weightGradients.get(name)!), dW, 2e-4 * maxAbs(dW) + 1e-7));
    }
    model.destroy();
    buffers.forEach((b) => b.destroy());
    expectClose(results);
  });
});
