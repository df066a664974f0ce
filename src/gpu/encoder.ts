// Records a batch of kernel dispatches and copies into one command buffer. Kernels bind their uniform
// block (if any) at @binding(0) and their storage buffers at @binding(1..n), in the order given.

import type { Gpu } from './gpu';
import type { Constants, Shader } from './pipelines';

export interface Kernel {
  shader: Shader;
  entryPoint: string;
  constants?: Constants;
}

export class Encoder {
  readonly commands: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | null = null;
  /** Buffers that live only for this submission (uniform blocks); destroyed once it is queued. */
  private readonly transient: GPUBuffer[] = [];
  dispatches = 0;

  constructor(
    readonly gpu: Gpu,
    readonly label: string,
  ) {
    this.commands = gpu.device.createCommandEncoder({ label });
  }

  dispatch(
    kernel: Kernel,
    workgroups: readonly [number, number, number],
    storage: readonly GPUBuffer[],
    uniforms?: ArrayBuffer,
  ): void {
    const pipeline = this.gpu.pipelines.get(kernel.shader, kernel.entryPoint, kernel.constants);
    const entries: GPUBindGroupEntry[] = [];
    if (uniforms) entries.push({ binding: 0, resource: { buffer: this.uniformBuffer(kernel.entryPoint, uniforms) } });
    storage.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    const bindGroup = this.gpu.device.createBindGroup({
      label: `${kernel.entryPoint} bindings`,
      layout: pipeline.getBindGroupLayout(0),
      entries,
    });
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    this.dispatches++;
  }

  copy(source: GPUBuffer, destination: GPUBuffer, byteLength: number, sourceOffset = 0, destinationOffset = 0): void {
    this.endPass();
    this.commands.copyBufferToBuffer(source, sourceOffset, destination, destinationOffset, byteLength);
  }

  clear(buffer: GPUBuffer, byteOffset = 0, byteLength?: number): void {
    this.endPass();
    this.commands.clearBuffer(buffer, byteOffset, byteLength);
  }

  /** Ends recording; the caller submits the result. Transient buffers are released by `release()`. */
  finish(): GPUCommandBuffer {
    this.endPass();
    return this.commands.finish();
  }

  /** Safe right after submit: WebGPU keeps a destroyed buffer alive until queued work that uses it is done. */
  release(): void {
    for (const buffer of this.transient) buffer.destroy();
    this.transient.length = 0;
  }

  private computePass(): GPUComputePassEncoder {
    this.pass ??= this.commands.beginComputePass({ label: this.label });
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  private uniformBuffer(label: string, data: ArrayBuffer): GPUBuffer {
    const buffer = this.gpu.device.createBuffer({
      label: `${label} uniforms`,
      size: data.byteLength,
      usage: GPUBufferUsage.UNIFORM,
      mappedAtCreation: true,
    });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
    buffer.unmap();
    this.transient.push(buffer);
    return buffer;
  }
}
