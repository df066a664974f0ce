// Shader modules and compute pipelines, created once and cached. The cache key is derived from every
// variant parameter (the WGSL source, the entry point and all override constants) so that no variant
// can be forgotten in a hand-built string.

import { GpuError } from './errors';

/** A WGSL file: `name` is its path under shaders/ (for labels and messages), `code` its source. */
export interface Shader {
  readonly name: string;
  readonly code: string;
}

export type Constants = Readonly<Record<string, number | boolean>>;

export class PipelineCache {
  private readonly modules = new Map<string, { module: GPUShaderModule; id: number }>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Compilation messages of every module made so far, gathered lazily to explain validation errors. */
  private readonly compilations: Array<Promise<string | null>> = [];
  /** Set to log every WGSL source the first time it is compiled (debugging aid). */
  dumpShaders = false;

  constructor(private readonly device: GPUDevice) {}

  get(shader: Shader, entryPoint: string, constants: Constants = {}): GPUComputePipeline {
    // The module's number stands for its source: serialising kilobytes of WGSL on every dispatch
    // cost about 45 µs each, a third of recording a training step (bench/README.md).
    const { module, id } = this.module(shader);
    const key = JSON.stringify([id, entryPoint, sortedEntries(constants)]);
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline({
        label: `${shader.name}:${entryPoint}${describe(constants)}`,
        layout: 'auto',
        compute: { module, entryPoint, constants: toNumbers(constants) },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  get size(): number {
    return this.pipelines.size;
  }

  /** A compile error among the modules created so far, with file, line, column and the source line. */
  async compileError(): Promise<GpuError | null> {
    const messages = (await Promise.all(this.compilations)).filter((m): m is string => m !== null);
    return messages.length ? new GpuError('shader-compile', messages.join('\n')) : null;
  }

  private module(shader: Shader): { module: GPUShaderModule; id: number } {
    let entry = this.modules.get(shader.code);
    if (!entry) {
      if (this.dumpShaders) console.log(`// ${shader.name}\n${shader.code}`);
      const module = this.device.createShaderModule({ label: shader.name, code: shader.code });
      entry = { module, id: this.modules.size };
      this.modules.set(shader.code, entry);
      this.compilations.push(compilationErrors(module, shader));
    }
    return entry;
  }
}

async function compilationErrors(module: GPUShaderModule, shader: Shader): Promise<string | null> {
  if (typeof module.getCompilationInfo !== 'function') return null;
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (!errors.length) return null;
  const lines = shader.code.split('\n');
  return errors
    .map((m) => `WGSL error in ${shader.name}:${m.lineNum}:${m.linePos}: ${m.message}\n  ${lines[m.lineNum - 1] ?? ''}`)
    .join('\n');
}

function sortedEntries(constants: Constants): Array<[string, number]> {
  return Object.entries(toNumbers(constants)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function toNumbers(constants: Constants): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(constants)) out[k] = typeof v === 'boolean' ? Number(v) : v;
  return out;
}

function describe(constants: Constants): string {
  const entries = sortedEntries(constants);
  return entries.length ? `(${entries.map(([k, v]) => `${k}=${v}`).join(',')})` : '';
}
