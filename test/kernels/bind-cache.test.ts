import { describe, expect, it } from 'vitest';
import { BindingCache } from '../../src/gpu/bindings';
import { matmul } from '../../src/engine/ops/matmul';
import { matmulRef } from '../../src/engine/ref/matmul';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu } from '../gpu';

describe('bind groups reused across submissions', () => {
  it('reuses a dispatch\'s bind group, and makes a new one when its uniforms or buffers change', async () => {
    const gpu = await testGpu();
    const rng = new Random(3);
    const a = rng.floats(6 * 8);
    const b = rng.floats(8 * 4);
    const bufs = { a: gpu.upload('A', a), b: gpu.upload('B', b), c: gpu.createBuffer('C', 6 * 4 * 4), c2: gpu.createBuffer('C2', 6 * 4 * 4) };
    const results: Comparison[] = [];
    const run = async (alpha: number, c: GPUBuffer) => {
      await gpu.run(`alpha ${alpha}`, (enc) => matmul(enc, c, bufs.a, bufs.b, null, { M: 6, N: 4, K: 8, alpha }));
      const want = new Float32Array(6 * 4);
      matmulRef(want, a, b, null, { M: 6, N: 4, K: 8, alpha });
      results.push(compareArrays(`alpha ${alpha} into ${c.label}`, await gpu.readF32(c, want.length), want, 1e-5));
    };
    const { hits, misses } = gpu.bindings;
    await run(1, bufs.c);
    await run(1, bufs.c);
    expect([gpu.bindings.hits - hits, gpu.bindings.misses - misses]).toEqual([1, 1]);
    await run(2, bufs.c); // new uniforms
    await run(2, bufs.c2); // new output buffer
    await run(1, bufs.c);
    expect([gpu.bindings.hits - hits, gpu.bindings.misses - misses]).toEqual([2, 3]);
    expectClose(results);
    Object.values(bufs).forEach((buffer) => buffer.destroy());
  });

  it('drops the least recently used entries past its capacity', async () => {
    const gpu = await testGpu();
    const cache = new BindingCache(gpu.device, 2);
    const pipeline = gpu.pipelines.get({ name: 'test copy', code: COPY }, 'main');
    const [x, y] = [gpu.createBuffer('x', 16), gpu.createBuffer('y', 16)];
    const uniforms = (value: number) => new Uint32Array([value, 0, 0, 0]).buffer;
    const first = cache.bindGroup('copy', pipeline, [x, y], uniforms(1));
    cache.bindGroup('copy', pipeline, [x, y], uniforms(2));
    expect(cache.bindGroup('copy', pipeline, [x, y], uniforms(1))).toBe(first); // now the most recent
    cache.bindGroup('copy', pipeline, [x, y], uniforms(3)); // evicts uniforms(2)
    expect(cache.size).toBe(2);
    expect(cache.bindGroup('copy', pipeline, [x, y], uniforms(1))).toBe(first);
    const misses = cache.misses;
    cache.bindGroup('copy', pipeline, [x, y], uniforms(2));
    expect(cache.misses).toBe(misses + 1);
    cache.clear();
    expect(cache.size).toBe(0);
    [x, y].forEach((buffer) => buffer.destroy());
  });
});

const COPY = `
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@compute @workgroup_size(1) fn main() { y[0] = x[0] + f32(p.n); }
`;
