// Matmul kernels compared at the training shapes of the "small" model (N = 4·128 tokens, C = 256,
// F = 688, V = 4096, LoRA rank 8 or $RANK), in GFLOP/s of wall time and of process CPU time.
//   [RANK=r] node --import tsx --import ./scripts/raw-import.mjs bench/kernels.ts [kernel ...] [--reps R] [--runs S] [--only TEXT] [--formats]
// `--only` keeps the shapes (formats, with --formats) whose name contains TEXT. `--formats` instead times a linear layer's
// x·Wᵀ and dy·W at one mid shape with W stored in each format (docs/weights.md).
// Each run records R dispatches of one kernel into one submission and waits for it; the first run
// (pipeline creation) is dropped and the median of the other S is printed. Results: bench/README.md.

import { acquireNodeGpu } from '../src/gpu/node';
import { MATMUL_KERNELS, fitsVec4, matmulWith, resolveMatmul, type MatmulKernel, type MatmulShape } from '../src/engine/ops/matmul';
import { Random } from '../src/engine/random';
import { packWeight, uploadPackedWeight } from '../src/engine/pack-weights';
import { WEIGHT_FORMATS, type PackedWeight } from '../src/engine/weight-format';

const T = 512; // tokens: batch 4 × sequence 128
const C = 256;
const F = 688;
const V = 4096;
const r = Number(process.env.RANK ?? 8);

const SHAPES: Array<{ name: string; shape: MatmulShape }> = [
  { name: 'forward x·Wᵀ (attention)', shape: { M: T, N: C, K: C, transB: true } },
  { name: 'forward x·Wᵀ (mlp up)', shape: { M: T, N: F, K: C, transB: true } },
  { name: 'forward x·Wᵀ (mlp down)', shape: { M: T, N: C, K: F, transB: true } },
  { name: 'forward logits x·Wᵀ', shape: { M: T, N: V, K: C, transB: true } },
  { name: 'dX = dY·W', shape: { M: T, N: C, K: C, accumulate: true } },
  { name: 'dX = dlogits·W', shape: { M: T, N: C, K: V } },
  { name: 'dW = dYᵀ·X', shape: { M: C, N: C, K: T, transA: true, accumulate: true } },
  { name: 'LoRA u = x·Aᵀ', shape: { M: T, N: r, K: C, transB: true } },
  { name: 'LoRA y += s·u·Bᵀ', shape: { M: T, N: C, K: r, transB: true, accumulate: true } },
  { name: 'LoRA dB += dYᵀ·u', shape: { M: C, N: r, K: T, transA: true, accumulate: true } },
  { name: 'LoRA du = dY·B', shape: { M: T, N: r, K: C } },
  { name: 'LoRA dA += duᵀ·x', shape: { M: r, N: C, K: T, transA: true, accumulate: true } },
  { name: 'LoRA dX += du·A', shape: { M: T, N: C, K: r, accumulate: true } },
];

const args = process.argv.slice(2);
const option = (flag: string, fallback: number) => {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const kernels = args.filter((a) => (MATMUL_KERNELS as readonly string[]).includes(a)) as MatmulKernel[];
const reps = option('--reps', 10);
const runs = option('--runs', 5);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : '';

const gpu = await acquireNodeGpu();
console.log(`adapter: ${gpu.info.description || gpu.info.device} (${gpu.info.architecture}), fallback ${gpu.info.isFallbackAdapter}`);
const rng = new Random(1);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const kernelList = kernels.length ? kernels : MATMUL_KERNELS;

/** GFLOP/s of wall time (and of process CPU time) of `reps` dispatches per submission, median of `runs`. */
async function time(kernel: MatmulKernel, shape: MatmulShape, c: GPUBuffer, a: GPUBuffer, b: GPUBuffer | PackedWeight): Promise<string> {
  const s = resolveMatmul(shape);
  if (kernel === 'vec4' && !fitsVec4(s)) return '—';
  const flops = 2 * s.M * s.N * s.K * reps;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run <= runs; run++) {
    const t0 = performance.now();
    const u0 = process.cpuUsage();
    await gpu.run(`bench ${kernel}`, (enc) => {
      for (let i = 0; i < reps; i++) matmulWith(kernel, enc, c, a, b, null, shape);
    });
    await gpu.settle(gpu.device.queue.onSubmittedWorkDone());
    const u = process.cpuUsage(u0);
    if (run === 0) continue;
    wall.push(performance.now() - t0);
    cpu.push((u.user + u.system) / 1000);
  }
  return `${(flops / median(wall) / 1e6).toFixed(2)} (${(flops / median(cpu) / 1e6).toFixed(2)})`;
}

if (args.includes('--formats')) {
  // W [F, C] of the MLP's up projection: y = x·Wᵀ reads it [N, K], dx = dy·W reads it [K, N].
  const uses: Array<{ name: string; shape: MatmulShape }> = [
    { name: 'x·Wᵀ', shape: { M: T, N: F, K: C, transB: true } },
    { name: 'dy·W', shape: { M: T, N: C, K: F } },
  ];
  console.log(`| W format | use | M×N×K | ${kernelList.map((k) => `${k} GFLOP/s wall (CPU)`).join(' | ')} |`);
  const values = rng.floats(F * C);
  for (const format of WEIGHT_FORMATS.filter((f) => f.includes(only))) {
    const w = uploadPackedWeight(gpu, `W ${format}`, format, F, C, packWeight(format, F, C, values));
    for (const { name, shape } of uses) {
      const s = resolveMatmul(shape);
      const a = gpu.upload('A', rng.floats(s.M * s.K));
      const c = gpu.upload('C', rng.floats(s.M * s.N));
      const cells: string[] = [];
      for (const kernel of kernelList) cells.push(await time(kernel, shape, c, a, w));
      console.log(`| ${format} | ${name} | ${s.M}×${s.N}×${s.K} | ${cells.join(' | ')} |`);
      [a, c].forEach((buffer) => buffer.destroy());
    }
    [w.data, w.scales].forEach((buffer) => buffer?.destroy());
  }
} else {
  console.log(`| shape | M×N×K | ${kernelList.map((k) => `${k} GFLOP/s wall (CPU)`).join(' | ')} |`);
  for (const { name, shape } of SHAPES.filter((x) => x.name.includes(only))) {
    const s = resolveMatmul(shape);
    const a = gpu.upload('A', rng.floats(s.M * s.K));
    const b = gpu.upload('B', rng.floats(s.K * s.N));
    const c = gpu.upload('C', rng.floats(s.M * s.N));
    const cells: string[] = [];
    for (const kernel of kernelList) cells.push(await time(kernel, shape, c, a, b));
    console.log(`| ${name} | ${s.M}×${s.N}×${s.K} | ${cells.join(' | ')} |`);
    [a, b, c].forEach((buffer) => buffer.destroy());
  }
}
gpu.destroy();
