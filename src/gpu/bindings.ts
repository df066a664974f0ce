// Bind groups (with their uniform blocks) reused across submissions. A training step records the
// same few hundred dispatches on the same buffers with the same uniforms every time; building each
// one's uniform buffer and bind group anew cost most of the step's recording time (bench/README.md,
// "Lean training step"). Entries are keyed by the pipeline, every bound buffer and the uniform
// bytes, so a dispatch whose uniforms change (the optimizer's step and learning rate) simply makes a
// new entry; the least recently used entries are dropped past `capacity`.

export class BindingCache {
  private readonly entries = new Map<string, { group: GPUBindGroup; uniforms: GPUBuffer | null }>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  hits = 0;
  misses = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly capacity = 4096,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  bindGroup(label: string, pipeline: GPUComputePipeline, storage: readonly GPUBuffer[], uniforms?: ArrayBuffer): GPUBindGroup {
    const key = `${this.id(pipeline)}:${storage.map((b) => this.id(b)).join(',')}:${uniforms ? hex(uniforms) : ''}`;
    const found = this.entries.get(key);
    if (found) {
      // Re-inserting marks the entry most recently used (Map keeps insertion order).
      this.entries.delete(key);
      this.entries.set(key, found);
      this.hits++;
      return found.group;
    }
    this.misses++;
    const uniformBuffer = uniforms ? this.uniformBuffer(label, uniforms) : null;
    const entries: GPUBindGroupEntry[] = [];
    if (uniformBuffer) entries.push({ binding: 0, resource: { buffer: uniformBuffer } });
    storage.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    const group = this.device.createBindGroup({ label: `${label} bindings`, layout: pipeline.getBindGroupLayout(0), entries });
    this.entries.set(key, { group, uniforms: uniformBuffer });
    this.evict();
    return group;
  }

  /** Drops every entry (a destroyed uniform buffer stays alive until queued work using it is done). */
  clear(): void {
    for (const entry of this.entries.values()) entry.uniforms?.destroy();
    this.entries.clear();
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.capacity) return;
      entry.uniforms?.destroy();
      this.entries.delete(key);
    }
  }

  private id(object: object): number {
    let id = this.ids.get(object);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(object, id);
    }
    return id;
  }

  private uniformBuffer(label: string, data: ArrayBuffer): GPUBuffer {
    const buffer = this.device.createBuffer({ label: `${label} uniforms`, size: data.byteLength, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
    buffer.unmap();
    return buffer;
  }
}

function hex(data: ArrayBuffer): string {
  const words = new Uint32Array(data);
  let out = '';
  for (let i = 0; i < words.length; i++) out += words[i].toString(16) + '.';
  return out;
}
