// Splitting weights by rows across bindings (src/engine/row-chunks.ts): the chunk plan, the layout a
// split weight takes in the engine's weight map, joining and re-splitting whole tensors, and the
// refusals for what cannot be split.

import { describe, expect, it } from 'vitest';
import { joinRowChunks, parseChunkName, planRowChunks, rowChunks, splitLike, uploadWeight } from '../../src/engine/row-chunks';
import { uploadWeights } from '../../src/engine/load';
import { Random } from '../../src/engine/random';
import { testGpu } from '../gpu';
import { loadFixture } from './fixtures';

/** A stand-in for a GPU buffer where only the size is read. */
const sized = (floats: number) => ({ size: floats * 4 }) as GPUBuffer;

describe('row chunk plans', () => {
  it('fills each chunk with as many whole rows as the limit holds, the remainder last', () => {
    expect(planRowChunks('embed', 320, 48, 20_480)).toEqual([106, 106, 106, 2]);
    expect(planRowChunks('embed', 320, 48, 192 * 100)).toEqual([100, 100, 100, 20]);
    expect(planRowChunks('embed', 320, 48, 192 * 320)).toEqual([320]);
    // GPT-2's embedding under a 128 MiB binding: 154 MB in two chunks.
    expect(planRowChunks('embed', 50_257, 768, 128 * 1024 * 1024)).toEqual([43_690, 6_567]);
  });

  it('refuses a row wider than the limit, naming the tensor, the row size and the limit', () => {
    expect(() => planRowChunks('model.embed_tokens.weight', 10, 48, 100)).toThrow('model.embed_tokens.weight: one row of 48 floats needs 192 bytes, above this GPU\'s 100-byte storage binding limit');
  });
});

describe('the layout of split weights', () => {
  it('names chunks name[k] and finds them in row order', () => {
    expect(parseChunkName('embed[12]')).toEqual({ name: 'embed', index: 12 });
    expect(parseChunkName('layers.0.attn.q.weight')).toEqual({ name: 'layers.0.attn.q.weight', index: null });
    const weights = new Map([
      ['embed[1]', sized(4 * 3)],
      ['embed[0]', sized(5 * 3)],
      ['pos_embed', sized(7 * 3)],
    ]);
    expect(rowChunks(weights, 'embed', 3).map(({ name, lo, rows }) => ({ name, lo, rows }))).toEqual([
      { name: 'embed[0]', lo: 0, rows: 5 },
      { name: 'embed[1]', lo: 5, rows: 4 },
    ]);
    expect(rowChunks(weights, 'pos_embed', 3).map(({ lo, rows }) => [lo, rows])).toEqual([[0, 7]]);
    expect(() => rowChunks(weights, 'lm_head', 3)).toThrow('the model has no weight "lm_head"');
  });

  it('joins chunks into whole tensors and cuts whole tensors back into the same layout', () => {
    const rng = new Random(4);
    const whole = new Map([
      ['embed', rng.floats(9 * 3)],
      ['final_norm.weight', rng.floats(3)],
    ]);
    const layout = new Map([
      ['embed[0]', sized(5 * 3)],
      ['embed[1]', sized(4 * 3)],
      ['final_norm.weight', sized(3)],
    ]);
    const parts = splitLike(layout, whole);
    expect([...parts.keys()].sort()).toEqual(['embed[0]', 'embed[1]', 'final_norm.weight']);
    expect(Array.from(parts.get('embed[1]')!)).toEqual(Array.from(whole.get('embed')!.subarray(15)));
    const joined = joinRowChunks(parts);
    expect([...joined.keys()].sort()).toEqual(['embed', 'final_norm.weight']);
    expect(Array.from(joined.get('embed')!)).toEqual(Array.from(whole.get('embed')!));
    // A whole tensor of another size is left out, for the caller to report as missing.
    expect(splitLike(layout, new Map([['embed', new Float32Array(10)]])).size).toBe(0);
    expect(() => joinRowChunks(new Map([['embed[1]', new Float32Array(3)]]))).toThrow('weight embed is missing its chunk 0');
  });
});

describe('uploading under a binding limit', () => {
  it('splits a vocabulary table and refuses any other tensor above the limit, naming it, its size and the limit', async () => {
    const gpu = await testGpu();
    gpu.bindingLimit = 1000;
    try {
      const into = new Map<string, GPUBuffer>();
      // 30 rows of 40 bytes: 25 rows fit in 1000 bytes.
      uploadWeight(gpu, into, 'lm_head', [30, 10], new Float32Array(300).map((_, i) => i));
      expect([...into.keys()]).toEqual(['lm_head[0]', 'lm_head[1]']);
      expect(Array.from(await gpu.readF32(into.get('lm_head[1]')!))).toEqual(Array.from({ length: 50 }, (_, i) => 250 + i));
      uploadWeight(gpu, into, 'final_norm.weight', [250], new Float32Array(250));
      expect(into.get('final_norm.weight')!.size).toBe(1000);
      expect(() => uploadWeight(gpu, into, 'layers.0.mlp.up.weight', [16, 16], new Float32Array(256), 'model.layers.0.mlp.up_proj.weight')).toThrow(
        "model.layers.0.mlp.up_proj.weight needs 1024 bytes in f32, above this GPU's largest storage binding (1000 bytes)",
      );
      into.forEach((b) => b.destroy());

      // A checkpoint whose MLP is above the limit is refused before any weight is read.
      const { model } = await loadFixture('smollm2');
      gpu.bindingLimit = 20_000;
      const allocated = gpu.allocatedBytes;
      await expect(uploadWeights(gpu, model)).rejects.toThrow(/model\.layers\.0\.mlp\.(gate|up|down)_proj\.weight needs 24576 bytes in f32, above this GPU's largest storage binding \(20000 bytes\)/);
      expect(gpu.allocatedBytes).toBe(allocated);
    } finally {
      gpu.bindingLimit = null;
    }
  });

  it('never binds more than maxBufferSize, whatever the binding limit', async () => {
    const gpu = await testGpu();
    const { maxStorageBufferBindingSize, maxBufferSize } = gpu.info.limits;
    expect(gpu.bindingLimitBytes).toBe(Math.min(maxStorageBufferBindingSize, maxBufferSize));
    gpu.bindingLimit = 4096;
    expect(gpu.bindingLimitBytes).toBe(4096);
    gpu.bindingLimit = null;
  });
});
