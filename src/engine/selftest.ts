// The in-app self-test: a few matmuls (all three training layouts, shapes off the tile grid) and a
// reduction on the GPU, each checked against its CPU reference. Runs in a page, a worker or Node.

import type { Gpu } from '../gpu/gpu';
import { compareArrays, type Comparison } from './compare';
import { matmul, resolveMatmul, type MatmulShape } from './ops/matmul';
import { partialGroups, reduce } from './ops/reduce';
import { Random } from './random';
import { matmulRef } from './ref/matmul';
import { reduceRef } from './ref/reduce';

export interface SelfTestResult {
  passed: boolean;
  checks: Comparison[];
  milliseconds: number;
}

const CASES: Array<[string, MatmulShape]> = [
  ['x·Wᵀ 33×65×17', { M: 33, N: 65, K: 17, transB: true }],
  ['dY·W 65×33×129', { M: 65, N: 33, K: 129 }],
  ['dYᵀ·X 7×5×3 (+=)', { M: 7, N: 5, K: 3, transA: true, accumulate: true }],
  ['batched 3×70×70×5', { M: 70, N: 70, K: 5, batch: 3, transB: true }],
];

export async function runSelfTest(gpu: Gpu): Promise<SelfTestResult> {
  const start = performance.now();
  const rng = new Random(2026);
  const checks: Comparison[] = [];
  for (const [name, shape] of CASES) {
    const s = resolveMatmul(shape);
    const a = rng.floats(s.batch * s.M * s.K);
    const b = rng.floats(s.batch * s.K * s.N);
    const c = rng.floats(s.batch * s.M * s.N);
    const want = c.slice();
    matmulRef(want, a, b, null, shape);
    const buffers = [gpu.upload(`${name} A`, a), gpu.upload(`${name} B`, b), gpu.upload(`${name} C`, c)];
    try {
      await gpu.run(`self-test ${name}`, (enc) => matmul(enc, buffers[2], buffers[0], buffers[1], null, shape));
      checks.push(compareArrays(`matmul ${name}`, await gpu.readF32(buffers[2], want.length), want, 1e-6 * (s.K + 4)));
    } finally {
      buffers.forEach((buffer) => buffer.destroy());
    }
  }

  const n = 10_007;
  const x = rng.floats(n);
  const y = rng.floats(n);
  const buffers = [gpu.upload('self-test x', x), gpu.upload('self-test y', y), gpu.createBuffer('self-test partials', partialGroups(n) * 4), gpu.createBuffer('self-test out', 4)];
  try {
    await gpu.run('self-test importance', (enc) => reduce(enc, 'meanAbsProduct', buffers[3], 0, buffers[2], buffers[0], buffers[1], n));
    checks.push(compareArrays('mean |x·y| n=10007', await gpu.readF32(buffers[3], 1), [reduceRef('meanAbsProduct', x, y, n)], 1e-6));
  } finally {
    buffers.forEach((buffer) => buffer.destroy());
  }
  return { passed: checks.every((c) => c.passed), checks, milliseconds: performance.now() - start };
}
