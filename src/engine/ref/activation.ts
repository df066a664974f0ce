// CPU twins of shaders/activation.wgsl (exact f64 formulas, stored in the arrays' precision).
// Backward adds into its gradients.

import type { Floats } from './floats';

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

// out, gate, up: [n]
export function swigluForwardRef(out: Floats, gate: Floats, up: Floats, n: number): void {
  for (let i = 0; i < n; i++) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
}

// dgate, dup, dout, gate, up: [n]
export function swigluBackwardRef(dgate: Floats, dup: Floats, dout: Floats, gate: Floats, up: Floats, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    const s = sigmoid(g);
    dgate[i] += dout[i] * up[i] * s * (1 + g * (1 - s));
    dup[i] += dout[i] * g * s;
  }
}

// out, inp: [n]
export function geluForwardRef(out: Floats, inp: Floats, n: number): void {
  for (let i = 0; i < n; i++) out[i] = gelu(inp[i]);
}

// dinp, dout, inp: [n]
export function geluBackwardRef(dinp: Floats, dout: Floats, inp: Floats, n: number): void {
  // In f64, x² cannot overflow for any input within f32's range, so no guard is needed here.
  for (let i = 0; i < n; i++) dinp[i] += dout[i] * geluGrad(inp[i]);
}

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(GELU_K * (x + GELU_A * x * x * x)));

function geluGrad(x: number): number {
  const t = Math.tanh(GELU_K * (x + GELU_A * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_K * (1 + 3 * GELU_A * x * x);
}

// out, gate, up: [n]
export function gegluForwardRef(out: Floats, gate: Floats, up: Floats, n: number): void {
  for (let i = 0; i < n; i++) out[i] = gelu(gate[i]) * up[i];
}

// dgate, dup, dout, gate, up: [n]
export function gegluBackwardRef(dgate: Floats, dup: Floats, dout: Floats, gate: Floats, up: Floats, n: number): void {
  for (let i = 0; i < n; i++) {
    dgate[i] += dout[i] * up[i] * geluGrad(gate[i]);
    dup[i] += dout[i] * gelu(gate[i]);
  }
}

// out, inp: [n]
export function reluForwardRef(out: Floats, inp: Floats, n: number): void {
  for (let i = 0; i < n; i++) out[i] = Math.max(inp[i], 0);
}

// dinp, dout, inp: [n]
export function reluBackwardRef(dinp: Floats, dout: Floats, inp: Floats, n: number): void {
  for (let i = 0; i < n; i++) if (inp[i] > 0) dinp[i] += dout[i];
}
