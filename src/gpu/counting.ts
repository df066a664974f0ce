// A GPU that only counts: its buffers are size-only stubs, nothing touches a device. The memory plan
// (src/train/memory-estimate.ts) runs the job's own allocating code on it — the transformer's
// constructor, adapters, scan gradients, the optimizer — so the estimate is the allocation, counted,
// and cannot drift from it. Anything that needs values (a readback, a kernel) is refused loudly: a
// dry run that reached one would be counting something the job does not do.

import { bufferSize, STORAGE, type Allocator, type TypedArray } from './gpu';

export interface CountingLimits {
  /** maxStorageBufferBindingSize, bytes (Infinity: no limit). */
  maxStorageBufferBindingSize?: number;
  /** maxBufferSize, bytes (Infinity: no limit). */
  maxBufferSize?: number;
}

export class CountingGpu implements Allocator {
  readonly info: { readonly limits: Readonly<Record<string, number>> };
  allocatedBytes = 0;
  peakBytes = 0;
  private unusedBuffer: GPUBuffer | null = null;

  constructor(limits: CountingLimits = {}) {
    this.info = { limits: { maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize ?? Infinity, maxBufferSize: limits.maxBufferSize ?? Infinity } };
  }

  /** As Gpu.bindingLimitBytes: a binding lies inside one buffer. */
  get bindingLimitBytes(): number {
    const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = this.info.limits;
    return Math.min(binding, buffer);
  }

  createBuffer(label: string, byteLength: number, usage = STORAGE): GPUBuffer {
    const size = bufferSize(byteLength);
    this.allocatedBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.allocatedBytes);
    let live = true;
    const stub = {
      label,
      size,
      usage,
      mapState: 'unmapped',
      destroy: () => {
        if (live) this.allocatedBytes -= size;
        live = false;
      },
    };
    return stub as unknown as GPUBuffer;
  }

  upload(label: string, data: TypedArray, usage = STORAGE): GPUBuffer {
    return this.createBuffer(label, data.byteLength, usage);
  }

  write(): void {}

  readF32(buffer: GPUBuffer): Promise<Float32Array> {
    return Promise.reject(new Error(`a counting GPU holds sizes, not values: cannot read "${buffer.label}"`));
  }

  get unused(): GPUBuffer {
    this.unusedBuffer ??= this.createBuffer('unused operand', 16);
    return this.unusedBuffer;
  }
}
