// CPU twin of shaders/matmul.wgsl: plain loops, f64 accumulation.

import { resolveMatmul, type MatmulShape } from '../ops/matmul';
import type { Floats } from './floats';

export function matmulRef(
  c: Floats,
  a: Floats,
  b: Floats,
  bias: Floats | null,
  shape: MatmulShape,
): void {
  const { M, N, K, batch, transA, transB, strideA, strideB, strideC, alpha, accumulate } = resolveMatmul(shape);
  for (let z = 0; z < batch; z++) {
    const ao = z * strideA;
    const bo = z * strideB;
    const co = z * strideC;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const av = transA ? a[ao + k * M + i] : a[ao + i * K + k];
          const bv = transB ? b[bo + j * K + k] : b[bo + k * N + j];
          sum += av * bv;
        }
        const value = alpha * sum + (bias ? bias[j] : 0);
        c[co + i * N + j] = accumulate ? c[co + i * N + j] + value : value;
      }
    }
  }
}
