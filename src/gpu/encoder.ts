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
    const bindGroup = this.gpu.bindings.bindGroup(kernel.entryPoint, pipeline, storage, uniforms);
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

  /** Ends recording; the caller submits the result. */
  finish(): GPUCommandBuffer {
    this.endPass();
    return this.commands.finish();
  }

  private computePass(): GPUComputePassEncoder {
    this.pass ??= this.commands.beginComputePass({ label: this.label });
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }
}
