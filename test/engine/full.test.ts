// Full training's gradients: every weight of the model (linear weights and biases, norms, token and
// position embeddings, tied or untied LM head), GPU against the CPU reference, and the reference
// against finite differences.

import { describe, expect, it } from 'vitest';
import { Transformer } from '../../src/engine/transformer';
import { ReferenceTransformer } from '../../src/engine/ref/transformer';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import type { ModelSpec } from '../../src/model/spec';
import { expectClose, testGpu } from '../gpu';
import { expectGradient } from '../finite-diff';
import { loadFixture } from './fixtures';

// Tied and untied heads, RMSNorm and LayerNorm, q/k/v biases (Qwen2), every bias and learned
// positions (GPT-2).
const ARCHITECTURES = ['smollm2', 'qwen2', 'llama32', 'gpt2'] as const;

/** Random tokens with one token repeated, so the embedding gradient must sum over rows. */
function randomBatch(spec: ModelSpec, B: number, T: number, seed: number) {
  const rng = new Random(seed);
  const tokens = Uint32Array.from({ length: B * T }, () => Math.floor(rng.next() * spec.vocabSize));
  tokens[B * T - 2] = tokens[1];
  const targets = new Int32Array(B * T).fill(-100);
  for (let b = 0; b < B; b++) for (let t = 1; t < T - 1; t++) targets[b * T + t] = tokens[b * T + t + 1];
  return { tokens, targets, count: targets.filter((t) => t >= 0).length };
}

function referenceWithGradients(spec: ModelSpec, weights: Map<string, Float32Array>, B: number, T: number): ReferenceTransformer {
  const ref = new ReferenceTransformer(spec, new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)])), B, T);
  for (const [name, w] of weights) ref.parameterGradients.set(name, new Float64Array(w.length));
  return ref;
}

function maxAbs(x: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]));
  return max;
}

/** Runs `batches` forward and backward on both models and compares every parameter gradient. */
async function compareGradients(arch: string, batches: Array<ReturnType<typeof randomBatch>>, B: number, T: number): Promise<Comparison[]> {
  const gpu = await testGpu();
  const { model: opened, weights } = await loadFixture(arch);
  const spec = opened.spec;
  const ref = referenceWithGradients(spec, weights, B, T);
  const buffers = new Map([...weights].map(([name, data]) => [name, gpu.upload(name, data)]));
  const model = new Transformer(gpu, spec, buffers, { B, T });
  const grads = model.trackParameterGradients();
  for (const batch of batches) {
    ref.forward(batch.tokens, batch.targets);
    ref.backward();
    model.setBatch(batch.tokens, batch.targets);
    await gpu.run('forward and backward', (enc) => {
      model.forward(enc, 1 / batch.count);
      model.backward(enc);
    });
  }
  const results: Comparison[] = [];
  const label = batches.length > 1 ? ` (${batches.length} micro-batches)` : '';
  if (grads.size !== weights.size) throw new Error(`${arch}: ${grads.size} gradients for ${weights.size} weights`);
  for (const [name, buffer] of grads) {
    const want = ref.parameterGradients.get(name)!;
    results.push(compareArrays(`${arch} d${name}${label}`, await gpu.readF32(buffer), want, 2e-4 * maxAbs(want) + 1e-7));
  }
  model.destroy();
  buffers.forEach((b) => b.destroy());
  return results;
}

describe('full training: the GPU gradient of every weight matches the CPU reference', () => {
  for (const arch of ARCHITECTURES) {
    it(arch, async () => {
      const { model } = await loadFixture(arch);
      expectClose(await compareGradients(arch, [randomBatch(model.spec, 2, 7, 3)], 2, 7));
    });
  }

  it("keeps the scan's weight gradients and full training's apart (one dW per layer reaches backward)", async () => {
    const gpu = await testGpu();
    const { model: opened, weights } = await loadFixture('qwen2');
    const buffers = new Map([...weights].map(([name, data]) => [name, gpu.upload(name, data)]));
    const model = new Transformer(gpu, opened.spec, buffers, { B: 1, T: 4 });
    model.trackWeightGradient('layers.0.attn.q');
    expect(() => model.trackParameterGradients()).toThrow(/untrack them first/);
    model.untrackWeightGradients();
    expect(model.trackParameterGradients().size).toBe(weights.size);
    expect(() => model.trackWeightGradient('layers.0.attn.q')).toThrow(/full training/);
    model.destroy();
    buffers.forEach((b) => b.destroy());
  });

  it('adds the gradients of consecutive micro-batches (gpt2: every kind of parameter)', async () => {
    const { model } = await loadFixture('gpt2');
    expectClose(await compareGradients('gpt2', [randomBatch(model.spec, 1, 6, 11), randomBatch(model.spec, 1, 6, 12)], 1, 6));
  });
});

describe("full training: the reference's parameter gradients match finite differences", () => {
  for (const arch of ARCHITECTURES) {
    it(arch, async () => {
      const [B, T] = [1, 5];
      const { model: opened, weights } = await loadFixture(arch);
      const spec = opened.spec;
      const ref = referenceWithGradients(spec, weights, B, T);
      // Token 8 appears twice: its embedding row sums two positions' gradients.
      const tokens = Uint32Array.from([3, 8, 17, 8, 25]);
      const targets = Int32Array.from([8, 17, 8, 25, -100]);
      const loss = () => ref.forward(tokens, targets).loss;
      loss();
      ref.backward();
      const last = spec.layers - 1;
      const names = [
        'embed',
        'final_norm.weight',
        `layers.0.norm1.weight`,
        `layers.${last}.norm2.weight`,
        ...(spec.tiedEmbeddings ? [] : ['lm_head']),
        ...(spec.rope ? [] : ['pos_embed', 'final_norm.bias', 'layers.0.norm1.bias', `layers.${last}.attn.qkv.bias`, `layers.0.mlp.proj.bias`]),
        ...(spec.architecture === 'qwen2' ? ['layers.0.attn.q.bias', `layers.${last}.attn.v.bias`] : []),
        spec.rope ? `layers.${last}.mlp.down.weight` : `layers.${last}.mlp.proj.weight`,
      ];
      for (const name of names) {
        const x = ref.weights.get(name)!;
        const analytic = ref.parameterGradients.get(name)!;
        // Spread samples rarely hit the batch's tokens, whose rows carry the input path: check those
        // rows (token 8's sums two positions) on their own too.
        if (name === 'embed') {
          const C = spec.hiddenSize;
          expectGradient(`${arch} d${name}`, loss, x, analytic, { samples: 16 });
          for (const row of [3, 8]) {
            expectGradient(`${arch} d${name} row ${row}`, loss, x.subarray(row * C, (row + 1) * C), analytic.subarray(row * C, (row + 1) * C), { samples: 6 });
          }
        } else if (name === 'pos_embed') {
          expectGradient(`${arch} d${name}`, loss, x.subarray(0, T * spec.hiddenSize), analytic.subarray(0, T * spec.hiddenSize), { samples: 20 });
        } else {
          expectGradient(`${arch} d${name}`, loss, x, analytic, { samples: 16 });
        }
      }
    });
  }
});
