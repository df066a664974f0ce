// CPU twin of shaders/reduce.wgsl (f64 accumulation).

import type { Reduction } from '../ops/reduce';

export function reduceRef(kind: Reduction, x: Float32Array, y: Float32Array | null, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (kind === 'sum') sum += x[i];
    else if (kind === 'sumSquares') sum += x[i] * x[i];
    else sum += Math.abs(x[i] * y![i]);
  }
  return kind === 'meanAbsProduct' ? sum / n : sum;
}
