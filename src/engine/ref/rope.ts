// CPU twin of shaders/rope.wgsl.

import type { Floats } from './floats';

function rotate(x: Floats, cos: Floats, sin: Floats, N: number, T: number, H: number, D: number, direction: 1 | -1): void {
  const half = D / 2;
  for (let n = 0; n < N; n++) {
    const t = n % T;
    for (let h = 0; h < H; h++) {
      const base = (n * H + h) * D;
      for (let i = 0; i < half; i++) {
        const c = cos[t * half + i];
        const s = direction * sin[t * half + i];
        const x1 = x[base + i];
        const x2 = x[base + i + half];
        x[base + i] = x1 * c - x2 * s;
        x[base + i + half] = x2 * c + x1 * s;
      }
    }
  }
}

export function ropeForwardRef(x: Floats, cos: Floats, sin: Floats, N: number, T: number, H: number, D: number): void {
  rotate(x, cos, sin, N, T, H, D, 1);
}

export function ropeBackwardRef(dx: Floats, cos: Floats, sin: Floats, N: number, T: number, H: number, D: number): void {
  rotate(dx, cos, sin, N, T, H, D, -1);
}
