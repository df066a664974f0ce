// Typed GPU errors. Every failure the runtime can see ends in one of these, with a message a user can act on.

export type GpuErrorKind =
  | 'unavailable' // no WebGPU in this environment, or no adapter
  | 'validation' // the app used the API wrongly (a bug: shapes, bindings, limits)
  | 'out-of-memory' // the device could not allocate
  | 'internal' // the implementation failed (driver, shader too large)
  | 'shader-compile' // WGSL did not compile
  | 'device-lost'; // the device went away (driver reset, tab backgrounded, destroy())

export class GpuError extends Error {
  constructor(
    readonly kind: GpuErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'GpuError';
  }
}

/** Explains why no GPU can be used here, for a browser or for Node. */
export function unavailableMessage(reason: 'no-webgpu' | 'no-adapter', where: 'browser' | 'node'): string {
  if (reason === 'no-webgpu') {
    return where === 'browser'
      ? 'This browser does not provide WebGPU. Use a recent Chrome or Edge (version 113 or later); ' +
          'in Firefox or Safari, WebGPU may need to be enabled in the browser settings. ' +
          'The page must also be served over https or from localhost.'
      : 'WebGPU is not available in this Node process (the "webgpu" package could not be loaded).';
  }
  return where === 'browser'
    ? 'WebGPU is present but no GPU adapter is available. Check that hardware acceleration is on ' +
        '(chrome://settings/system) and that your GPU is not blocklisted (chrome://gpu).'
    : 'No GPU adapter found. Install a Vulkan driver (for a software one: apt-get install chromium ' +
        'libvulkan1, then set VK_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json).';
}

/** Converts a WebGPU error-scope result into our typed error, naming the operation that caused it. */
export function fromScopeError(error: GPUError, operation: string): GpuError {
  const detail = error.message.trim();
  if (isA(error, 'GPUOutOfMemoryError')) {
    return new GpuError(
      'out-of-memory',
      `GPU out of memory during "${operation}". Try a smaller batch size, sequence length or model. (${detail})`,
    );
  }
  if (isA(error, 'GPUValidationError')) {
    return new GpuError('validation', `GPU validation error during "${operation}": ${detail}`);
  }
  return new GpuError('internal', `GPU internal error during "${operation}": ${detail}`);
}

/** `instanceof` against a WebGPU global that may be missing (older runtimes), falling back to the class name. */
function isA(error: GPUError, className: 'GPUOutOfMemoryError' | 'GPUValidationError'): boolean {
  const cls = (globalThis as Record<string, unknown>)[className];
  return typeof cls === 'function' ? error instanceof cls : error.constructor?.name === className;
}
