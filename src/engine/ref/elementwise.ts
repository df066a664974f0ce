// CPU twins of shaders/elementwise.wgsl.

export function addRef(out: Float32Array, x: Float32Array, y: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = x[i] + y[i];
}

export function scaleRef(out: Float32Array, x: Float32Array, alpha: number, n: number): void {
  for (let i = 0; i < n; i++) out[i] = alpha * x[i];
}

export function axpyRef(out: Float32Array, x: Float32Array, alpha: number, n: number): void {
  for (let i = 0; i < n; i++) out[i] += alpha * x[i];
}
