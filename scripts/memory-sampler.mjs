// Loaded with `node --import ./scripts/memory-sampler.mjs ...` by scripts/scale-runs.ts: samples the
// process's memory every 50 ms and, on exit, writes the peaks as JSON to $GORA_MEMORY_OUT. The JS
// heap alone misses the weights (typed arrays live outside it, under external/arrayBuffers), so
// both are kept, and the kernel's high-water mark of resident memory (VmHWM) covers everything
// else, the GPU driver's memory included.
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.env.GORA_MEMORY_OUT;
if (out) {
  const peak = { heapUsed: 0, external: 0, arrayBuffers: 0, heapAndExternal: 0, rss: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
    peak.heapAndExternal = Math.max(peak.heapAndExternal, m.heapUsed + m.external);
    peak.rss = Math.max(peak.rss, m.rss);
  };
  setInterval(sample, 50).unref();
  process.on('exit', () => {
    sample();
    let vmHWM = null;
    try {
      const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
      vmHWM = kb ? Number(kb[1]) * 1024 : null;
    } catch {
      // Not Linux: the sampled peaks stand alone.
    }
    writeFileSync(out, JSON.stringify({ ...peak, vmHWM }));
  });
}
