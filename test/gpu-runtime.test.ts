import { describe, expect, it } from 'vitest';
import { Gpu } from '../src/gpu/gpu';
import { GpuError, fromScopeError } from '../src/gpu/errors';
import { acquireNodeGpu } from '../src/gpu/node';
import { grid1d } from '../src/gpu/dispatch';
import { packUniforms } from '../src/gpu/uniforms';
import { MATMUL_SHADER } from '../src/engine/ops/matmul';
import { testGpu } from './gpu';

async function rejection(promise: Promise<unknown>): Promise<GpuError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GpuError);
  return error as GpuError;
}

describe('GPU runtime', () => {
  it("requests the adapter's own limits and reports features", async () => {
    const gpu = await testGpu();
    expect(gpu.info.limits.maxStorageBufferBindingSize).toBe(gpu.device.limits.maxStorageBufferBindingSize);
    expect(gpu.info.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    // SwiftShader offers 1 GiB, above WebGPU's 128 MiB default: it must have been requested (lavapipe offers 128 MiB).
    expect(gpu.info.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    if (gpu.info.architecture === 'swiftshader') expect(gpu.info.limits.maxStorageBufferBindingSize).toBe(2 ** 30);
    expect(typeof gpu.info.features.shaderF16).toBe('boolean');
    expect(gpu.info.features.timestampQuery).toBe(gpu.device.features.has('timestamp-query'));
    expect(gpu.info.description.length + gpu.info.vendor.length).toBeGreaterThan(0);
  });

  it('caches pipelines by shader, entry point and every constant', async () => {
    const gpu = await testGpu();
    const before = gpu.pipelines.size;
    const p1 = gpu.pipelines.get(MATMUL_SHADER, 'matmul', { TRANS_A: true, TRANS_B: false });
    const p2 = gpu.pipelines.get(MATMUL_SHADER, 'matmul', { TRANS_B: false, TRANS_A: true });
    const p3 = gpu.pipelines.get(MATMUL_SHADER, 'matmul', { TRANS_A: true, TRANS_B: true });
    expect(p2).toBe(p1);
    expect(p3).not.toBe(p1);
    expect(gpu.pipelines.size).toBe(before + 2);
  });

  it('uploads and reads back, keeping labels', async () => {
    const gpu = await testGpu();
    const data = new Float32Array([1.5, -2, 3.25, 7, 9]);
    const buffer = gpu.upload('five floats', data);
    expect(buffer.label).toBe('five floats');
    expect([...(await gpu.readF32(buffer, 5))]).toEqual([...data]);
    expect([...(await gpu.readF32(buffer, 2, 3))]).toEqual([7, 9]);
    buffer.destroy();
  });

  it('turns validation errors into typed errors naming the operation', async () => {
    const gpu = await testGpu();
    const small = gpu.createBuffer('small', 16);
    const large = gpu.createBuffer('large', 1024);
    const error = await rejection(gpu.run('copy too much', (enc) => enc.copy(large, small, 1024)));
    expect(error.kind).toBe('validation');
    expect(error.message).toContain('copy too much');
    // The device stays usable after a validation error.
    expect([...(await gpu.readF32(large, 2))]).toEqual([0, 0]);
    small.destroy();
    large.destroy();
  });

  it('reports WGSL compile errors with file, line and the source line', async () => {
    const gpu = await testGpu();
    const broken = { name: 'shaders/broken.wgsl', code: '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefined_thing;\n}\n' };
    const error = await rejection(gpu.run('broken shader', (enc) => enc.dispatch({ shader: broken, entryPoint: 'main' }, [1, 1, 1], [])));
    expect(error.kind).toBe('shader-compile');
    expect(error.message).toContain('shaders/broken.wgsl:3:');
    expect(error.message).toContain('undefined_thing');
  });

  it('maps out-of-memory scope errors to their own kind with advice', () => {
    const error = fromScopeError(new GPUOutOfMemoryError('allocation failed'), 'train step');
    expect(error.kind).toBe('out-of-memory');
    expect(error.message).toMatch(/train step.*smaller batch/);
  });

  it('surfaces device loss as an event and refuses further work', async () => {
    const gpu = await acquireNodeGpu();
    const events: string[] = [];
    gpu.onLost((info) => events.push(info.reason));
    gpu.destroy();
    const lost = await gpu.settle(gpu.lost);
    expect(lost.reason).toBe('destroyed');
    expect(events).toEqual(['destroyed']);
    const error = await rejection(gpu.run('after loss', () => {}));
    expect(error.kind).toBe('device-lost');
  });

  it('explains a missing WebGPU or a missing adapter', async () => {
    const noWebGpu = await rejection(Gpu.acquire({ gpu: undefined, where: 'browser' }));
    expect(noWebGpu.kind).toBe('unavailable');
    expect(noWebGpu.message).toMatch(/does not provide WebGPU/);
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    const error = await rejection(Gpu.acquire({ gpu: noAdapter, where: 'browser' }));
    expect(error.message).toMatch(/no GPU adapter is available/);
  });
});

describe('dispatch and uniform helpers', () => {
  it('folds large 1-D grids into y within the per-dimension limit', () => {
    expect(grid1d(1, 256)).toEqual([1, 1, 1]);
    expect(grid1d(256 * 65535, 256)).toEqual([65535, 1, 1]);
    const [x, y] = grid1d(256 * 65536, 256);
    expect(x).toBeLessThanOrEqual(65535);
    expect(x * y).toBeGreaterThanOrEqual(65536);
  });

  it('packs 4-byte fields in order, padded to 16 bytes, and rejects bad values', () => {
    const data = packUniforms([
      ['u32', 7],
      ['f32', 0.5],
      ['i32', -3],
      ['u32', 1],
      ['f32', 2],
    ]);
    expect(data.byteLength).toBe(32);
    const view = new DataView(data);
    expect([view.getUint32(0, true), view.getFloat32(4, true), view.getInt32(8, true), view.getFloat32(16, true)]).toEqual([7, 0.5, -3, 2]);
    expect(() => packUniforms([['u32', -1]])).toThrow(/integer/);
    expect(() => packUniforms([['f32', NaN]])).toThrow(/finite/);
  });
});

describe('GPU memory accounting', () => {
  it('counts live buffer bytes and their peak', async () => {
    const gpu = await testGpu();
    const before = gpu.allocatedBytes;
    const a = gpu.createBuffer('a', 1000);
    const b = gpu.createBuffer('b', 24);
    expect(gpu.allocatedBytes - before).toBe(1024);
    a.destroy();
    a.destroy();
    expect(gpu.allocatedBytes - before).toBe(24);
    expect(gpu.peakBytes).toBeGreaterThanOrEqual(before + 1024);
    b.destroy();
    expect(gpu.allocatedBytes).toBe(before);
  });
});
