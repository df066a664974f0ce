// Elementwise activations of the MLP block over n floats (n = B·T·hidden) — see
// shaders/activation.wgsl. Backward adds into its gradients.

import { grid1d } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/activation.wgsl?raw';

export const ACTIVATION_SHADER: Shader = { name: 'shaders/activation.wgsl', code };

function activation(enc: Encoder, op: string, entryPoint: string, n: number, operands: Record<string, GPUBuffer>): void {
  requireDims(op, { n });
  for (const [name, buffer] of Object.entries(operands)) requireFloats(op, name, buffer, n);
  const uniforms = packUniforms([['u32', n]]);
  enc.dispatch({ shader: ACTIVATION_SHADER, entryPoint }, grid1d(n, 256), Object.values(operands), uniforms);
}

/** out = silu(gate) · up   (out, gate, up: [n]) */
export function swigluForward(enc: Encoder, out: GPUBuffer, gate: GPUBuffer, up: GPUBuffer, n: number): void {
  activation(enc, 'swigluForward', 'swiglu_forward', n, { out, gate, up });
}

/** dgate += dout · up · silu'(gate), dup += dout · silu(gate)   (all [n]) */
export function swigluBackward(
  enc: Encoder,
  dgate: GPUBuffer,
  dup: GPUBuffer,
  dout: GPUBuffer,
  gate: GPUBuffer,
  up: GPUBuffer,
  n: number,
): void {
  activation(enc, 'swigluBackward', 'swiglu_backward', n, { dgate, dup, dout, gate, up });
}

/** out = gelu(inp), the tanh approximation (GPT-2's gelu_new)   (out, inp: [n]) */
export function geluForward(enc: Encoder, out: GPUBuffer, inp: GPUBuffer, n: number): void {
  activation(enc, 'geluForward', 'gelu_forward', n, { out, inp });
}

/** dinp += dout · gelu'(inp)   (all [n]) */
export function geluBackward(enc: Encoder, dinp: GPUBuffer, dout: GPUBuffer, inp: GPUBuffer, n: number): void {
  activation(enc, 'geluBackward', 'gelu_backward', n, { dinp, dout, inp });
}

/** out = gelu(gate) · up, T5 v1.1's gated-gelu   (out, gate, up: [n]) */
export function gegluForward(enc: Encoder, out: GPUBuffer, gate: GPUBuffer, up: GPUBuffer, n: number): void {
  activation(enc, 'gegluForward', 'geglu_forward', n, { out, gate, up });
}

/** dgate += dout · up · gelu'(gate), dup += dout · gelu(gate)   (all [n]) */
export function gegluBackward(enc: Encoder, dgate: GPUBuffer, dup: GPUBuffer, dout: GPUBuffer, gate: GPUBuffer, up: GPUBuffer, n: number): void {
  activation(enc, 'gegluBackward', 'geglu_backward', n, { dgate, dup, dout, gate, up });
}

/** out = max(inp, 0)   (out, inp: [n]) */
export function reluForward(enc: Encoder, out: GPUBuffer, inp: GPUBuffer, n: number): void {
  activation(enc, 'reluForward', 'relu_forward', n, { out, inp });
}

/** dinp += dout where inp > 0   (all [n]) */
export function reluBackward(enc: Encoder, dinp: GPUBuffer, dout: GPUBuffer, inp: GPUBuffer, n: number): void {
  activation(enc, 'reluBackward', 'relu_backward', n, { dinp, dout, inp });
}
