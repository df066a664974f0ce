// The GPU runtime: one device with the adapter's real limits, labelled buffers, upload and readback,
// and error-scope-checked submission. It knows no model and runs unchanged in a page, a Web Worker
// and Node (Dawn, through ./node.ts).

import { BindingCache } from './bindings';
import { Encoder } from './encoder';
import { GpuError, fromScopeError, unavailableMessage } from './errors';
import { PipelineCache } from './pipelines';

export interface GpuInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** The features this project can use, as requested on the device. */
  features: { shaderF16: boolean; timestampQuery: boolean; subgroups: boolean };
  /** Every feature the adapter reports. */
  adapterFeatures: string[];
  /** The device's limits (the adapter's own, not WebGPU's defaults). */
  limits: Record<string, number>;
}

export interface DeviceLost {
  reason: string;
  message: string;
}

export interface AcquireOptions {
  /** The WebGPU entry point: `navigator.gpu` in browsers, Dawn's `create()` in Node. */
  gpu: GPU | undefined;
  where: 'browser' | 'node';
  powerPreference?: GPUPowerPreference;
  /**
   * How to wait on a GPU promise. Browsers need nothing; Node passes a waiter that sleeps between
   * event-loop turns so Dawn's polling does not spin a core (see ./node.ts).
   */
  settle?: <T>(promise: Promise<T>) => Promise<T>;
}

export type TypedArray = Float32Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

/**
 * What code that allocates (the transformer's buffers, adapters, gradients, the optimizer) uses of a
 * GPU. Gpu implements it on a device; CountingGpu (./counting.ts) implements it with size-only
 * buffers, so the memory plan runs the same constructors the job runs and reads their bytes off it.
 */
export interface Allocator {
  readonly info: { readonly limits: Readonly<Record<string, number>> };
  /** See Gpu.bindingLimitBytes. */
  readonly bindingLimitBytes: number;
  /** Bytes of the live buffers made through createBuffer, and their high-water mark. */
  readonly allocatedBytes: number;
  readonly peakBytes: number;
  createBuffer(label: string, byteLength: number, usage?: number): GPUBuffer;
  upload(label: string, data: TypedArray, usage?: number): GPUBuffer;
  write(buffer: GPUBuffer, data: TypedArray, byteOffset?: number): void;
  readF32(buffer: GPUBuffer, count?: number, offset?: number): Promise<Float32Array>;
  readonly unused: GPUBuffer;
}

/** The bytes a buffer of byteLength takes: WebGPU needs sizes that are multiples of 4, and non-zero bindings. */
export function bufferSize(byteLength: number): number {
  return Math.max(4, Math.ceil(byteLength / 4) * 4);
}

const WANTED_FEATURES: Record<keyof GpuInfo['features'], GPUFeatureName> = {
  shaderF16: 'shader-f16',
  timestampQuery: 'timestamp-query',
  subgroups: 'subgroups' as GPUFeatureName,
};

/**
 * How row-wise kernels (norms, softmax, attention) spread their work. `parallel`: a workgroup per row
 * with shared-memory reductions, right for real GPUs. `serial`: one invocation per row, no barriers,
 * which is several times faster on CPU-backed adapters where workgroupBarrier is expensive (measured:
 * bench/README.md).
 */
export type KernelVariant = 'parallel' | 'serial';

export const STORAGE = 0x80 | 0x04 | 0x08; // GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST, usable before globals exist
export const MAP_READ_COPY_DST = 0x01 | 0x08; // GPUBufferUsage.MAP_READ | COPY_DST: a readback's staging buffer

export class Gpu implements Allocator {
  readonly pipelines: PipelineCache;
  /** Bind groups and uniform blocks, reused by every submission that binds the same things. */
  readonly bindings: BindingCache;
  /** Resolves when the device is lost, for whatever reason (including `destroy()`). */
  readonly lost: Promise<DeviceLost>;
  private lostInfo: DeviceLost | null = null;
  private unusedBuffer: GPUBuffer | null = null;
  /** Bytes of the buffers made through createBuffer and not yet destroyed, and their high-water mark. */
  allocatedBytes = 0;
  peakBytes = 0;
  /** Chosen from the adapter; tests set it to run both variants on one device. */
  kernelVariant: KernelVariant;
  /**
   * A storage-binding size below the device's own, or null. WebGPU grants no device limit under its
   * 128 MiB default, so tests (and `--binding-limit`) set this to make the engine split tensors as a
   * GPU with that limit would need (see bindingLimitBytes).
   */
  bindingLimit: number | null = null;
  private readonly lostListeners = new Set<(info: DeviceLost) => void>();

  private constructor(
    readonly device: GPUDevice,
    readonly info: GpuInfo,
    readonly settle: <T>(promise: Promise<T>) => Promise<T>,
  ) {
    this.pipelines = new PipelineCache(device);
    this.bindings = new BindingCache(device);
    this.kernelVariant = info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${info.architecture} ${info.description} ${info.device}`) ? 'serial' : 'parallel';
    this.lost = device.lost.then((l) => {
      this.lostInfo = { reason: l.reason ?? 'unknown', message: l.message || 'the GPU device was lost' };
      for (const listener of this.lostListeners) listener(this.lostInfo);
      return this.lostInfo;
    });
  }

  static async acquire(options: AcquireOptions): Promise<Gpu> {
    const { gpu, where } = options;
    const settle = options.settle ?? (<T>(p: Promise<T>) => p);
    if (!gpu) throw new GpuError('unavailable', unavailableMessage('no-webgpu', where));
    const adapter = await settle(gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' }));
    if (!adapter) throw new GpuError('unavailable', unavailableMessage('no-adapter', where));

    const requiredFeatures = Object.values(WANTED_FEATURES).filter((f) => adapter.features.has(f));
    const requiredLimits = adapterLimits(adapter);
    let device: GPUDevice;
    try {
      device = await settle(adapter.requestDevice({ label: 'gora', requiredFeatures, requiredLimits }));
    } catch (error) {
      throw new GpuError('unavailable', `The GPU adapter refused to create a device: ${String(error)}`);
    }
    const adapterInfo = adapter.info ?? ({} as GPUAdapterInfo);
    const info: GpuInfo = {
      vendor: adapterInfo.vendor ?? '',
      architecture: adapterInfo.architecture ?? '',
      device: adapterInfo.device ?? '',
      description: adapterInfo.description ?? '',
      isFallbackAdapter: Boolean(
        (adapterInfo as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
          (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
      ),
      features: {
        shaderF16: device.features.has(WANTED_FEATURES.shaderF16),
        timestampQuery: device.features.has(WANTED_FEATURES.timestampQuery),
        subgroups: device.features.has(WANTED_FEATURES.subgroups),
      },
      adapterFeatures: [...adapter.features].sort(),
      limits: limitsRecord(device.limits),
    };
    return new Gpu(device, info, settle);
  }

  /**
   * The most bytes one storage binding may hold: maxStorageBufferBindingSize, no more than
   * maxBufferSize (a binding lies inside one buffer), and bindingLimit when that is lower.
   */
  get bindingLimitBytes(): number {
    const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = this.info.limits;
    return Math.min(binding ?? Infinity, buffer ?? Infinity, this.bindingLimit ?? Infinity);
  }

  get isLost(): DeviceLost | null {
    return this.lostInfo;
  }

  onLost(listener: (info: DeviceLost) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  createBuffer(label: string, byteLength: number, usage = STORAGE): GPUBuffer {
    this.assertUsable(label);
    const size = bufferSize(byteLength);
    const buffer = this.device.createBuffer({ label, size, usage });
    this.allocatedBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.allocatedBytes);
    // Counted down once, however often destroy() is called.
    const destroy = buffer.destroy.bind(buffer);
    let live = true;
    buffer.destroy = () => {
      if (live) this.allocatedBytes -= size;
      live = false;
      destroy();
    };
    return buffer;
  }

  upload(label: string, data: TypedArray, usage = STORAGE): GPUBuffer {
    const buffer = this.createBuffer(label, data.byteLength, usage);
    this.write(buffer, data);
    return buffer;
  }

  write(buffer: GPUBuffer, data: TypedArray, byteOffset = 0): void {
    // writeBuffer needs a multiple of 4 bytes; pad odd-sized byte arrays with a copy.
    const src = data.byteLength % 4 === 0 ? data : padTo4(data);
    this.device.queue.writeBuffer(buffer, byteOffset, src.buffer, src.byteOffset, src.byteLength);
  }

  /**
   * A 16-byte buffer to bind where a kernel variant declares an operand it does not read (for
   * example the bias of a matmul without bias): WebGPU requires every declared binding to be bound.
   */
  get unused(): GPUBuffer {
    this.unusedBuffer ??= this.createBuffer('unused operand', 16);
    return this.unusedBuffer;
  }

  /** Records work with `record`, submits it, and throws a typed error if any of it failed. */
  async run<T>(label: string, record: (encoder: Encoder) => T): Promise<T> {
    this.assertUsable(label);
    const device = this.device;
    device.pushErrorScope('internal');
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const encoder = new Encoder(this, label);
    let result: T | undefined;
    let thrown: unknown = null;
    try {
      result = record(encoder);
      device.queue.submit([encoder.finish()]);
    } catch (error) {
      thrown = error;
    }
    // Pop synchronously, so that concurrent runs never see each other's scopes.
    const scopes = [device.popErrorScope(), device.popErrorScope(), device.popErrorScope()];
    const errors = await this.settle(Promise.all(scopes));
    if (thrown) throw thrown;
    const first = errors.find((e): e is GPUError => e !== null);
    if (first) {
      // A WGSL compile error surfaces as a validation error; prefer the compiler's own messages.
      const compileError = await this.settle(this.pipelines.compileError());
      throw compileError ?? fromScopeError(first, label);
    }
    this.assertUsable(label);
    return result as T;
  }

  /** Copies `byteLength` bytes of `buffer` back to the CPU. */
  async read(buffer: GPUBuffer, byteOffset = 0, byteLength = buffer.size - byteOffset): Promise<ArrayBuffer> {
    const size = Math.ceil(byteLength / 4) * 4;
    const staging = this.createBuffer(`${buffer.label} readback`, size, MAP_READ_COPY_DST);
    try {
      await this.run(`read ${buffer.label}`, (enc) => enc.copy(buffer, staging, size, byteOffset, 0));
      await this.settle(staging.mapAsync(GPUMapMode.READ)).catch((error: unknown) => {
        this.assertUsable(`read ${buffer.label}`);
        throw new GpuError('internal', `Reading back "${buffer.label}" failed: ${String(error)}`);
      });
      return staging.getMappedRange().slice(0, byteLength);
    } finally {
      staging.destroy();
    }
  }

  async readF32(buffer: GPUBuffer, count = buffer.size / 4, offset = 0): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, offset * 4, count * 4));
  }

  destroy(): void {
    this.device.destroy();
  }

  private assertUsable(operation: string): void {
    if (this.lostInfo) {
      throw new GpuError('device-lost', `The GPU device was lost (${this.lostInfo.reason}: ${this.lostInfo.message}); "${operation}" cannot run.`);
    }
  }
}

function adapterLimits(adapter: GPUAdapter): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const [key, value] of Object.entries(limitsRecord(adapter.limits))) {
    // Dawn and Chrome may report limits their requestDevice does not accept yet; keep the standard ones.
    if (key in STANDARD_LIMIT_DEFAULTS) limits[key] = value;
  }
  return limits;
}

function limitsRecord(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  // Limits are prototype accessors, so `for...in` (not Object.keys) finds them.
  for (const key in limits) {
    const value = (limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') out[key] = value;
  }
  return out;
}

function padTo4(data: TypedArray): Uint8Array {
  const padded = new Uint8Array(Math.ceil(data.byteLength / 4) * 4);
  padded.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return padded;
}

/** The limits the WebGPU specification defines (with its defaults), used to filter what we request. */
const STANDARD_LIMIT_DEFAULTS: Record<string, number> = {
  maxTextureDimension1D: 8192,
  maxTextureDimension2D: 8192,
  maxTextureDimension3D: 2048,
  maxTextureArrayLayers: 256,
  maxBindGroups: 4,
  maxBindGroupsPlusVertexBuffers: 24,
  maxBindingsPerBindGroup: 1000,
  maxDynamicUniformBuffersPerPipelineLayout: 8,
  maxDynamicStorageBuffersPerPipelineLayout: 4,
  maxSampledTexturesPerShaderStage: 16,
  maxSamplersPerShaderStage: 16,
  maxStorageBuffersPerShaderStage: 8,
  maxStorageTexturesPerShaderStage: 4,
  maxUniformBuffersPerShaderStage: 12,
  maxUniformBufferBindingSize: 65536,
  maxStorageBufferBindingSize: 134217728,
  minUniformBufferOffsetAlignment: 256,
  minStorageBufferOffsetAlignment: 256,
  maxVertexBuffers: 8,
  maxBufferSize: 268435456,
  maxVertexAttributes: 16,
  maxVertexBufferArrayStride: 2048,
  maxInterStageShaderVariables: 16,
  maxColorAttachments: 8,
  maxColorAttachmentBytesPerSample: 32,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupsPerDimension: 65535,
};
