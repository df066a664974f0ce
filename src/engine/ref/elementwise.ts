// CPU twins of shaders/elementwise.wgsl.

import type { Floats } from './floats';

export function addRef(out: Floats, x: Floats, y: Floats, n: number): void {
  for (let i = 0; i < n; i++) out[i] = x[i] + y[i];
}

export function scaleRef(out: Floats, x: Floats, alpha: number, n: number): void {
  for (let i = 0; i < n; i++) out[i] = alpha * x[i];
}

export function axpyRef(out: Floats, x: Floats, alpha: number, n: number): void {
  for (let i = 0; i < n; i++) out[i] += alpha * x[i];
}

export function copyColumnsRef(
  out: Floats,
  outView: { stride: number; offset: number },
  x: Floats,
  xView: { stride: number; offset: number },
  rows: number,
  width: number,
): void {
  for (let n = 0; n < rows; n++) {
    for (let c = 0; c < width; c++) out[n * outView.stride + outView.offset + c] = x[n * xView.stride + xView.offset + c];
  }
}
