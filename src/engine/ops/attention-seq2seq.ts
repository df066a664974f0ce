// Attention for encoder-decoder models — see shaders/attention-seq2seq.wgsl.

import { grid1d } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/attention-seq2seq.wgsl?raw';

export const SEQ2SEQ_ATTENTION_SHADER: Shader = { name: 'shaders/attention-seq2seq.wgsl', code };

export interface Seq2SeqAttentionShape {
  B: number;
  /** Query rows (the decoder's length in cross-attention) and key rows (the encoder's). */
  Tq: number;
  Tk: number;
  H: number;
  D: number;
  /** Multiplies q·k before the bias (T5: 1). */
  scale: number;
  /** Query i sees keys j ≤ i only (needs Tq = Tk). */
  causal: boolean;
}

/** The shared buffers of one attention: bias [H, Tq, Tk] or null, and the key mask [B, Tk] (1 seen, 0 not). */
export interface Seq2SeqAttentionInputs {
  q: GPUBuffer;
  k: GPUBuffer;
  v: GPUBuffer;
  bias: GPUBuffer | null;
  mask: GPUBuffer;
}

function uniformsOf(op: string, s: Seq2SeqAttentionShape, inputs: Seq2SeqAttentionInputs): ArrayBuffer {
  requireDims(op, { B: s.B, Tq: s.Tq, Tk: s.Tk, H: s.H, D: s.D });
  if (s.causal && s.Tq !== s.Tk) throw new RangeError(`${op}: causal attention needs as many queries as keys, got ${s.Tq} and ${s.Tk}`);
  requireFloats(op, 'q', inputs.q, s.B * s.Tq * s.H * s.D);
  requireFloats(op, 'k', inputs.k, s.B * s.Tk * s.H * s.D);
  requireFloats(op, 'v', inputs.v, s.B * s.Tk * s.H * s.D);
  requireFloats(op, 'mask', inputs.mask, s.B * s.Tk);
  if (inputs.bias) requireFloats(op, 'bias', inputs.bias, s.H * s.Tq * s.Tk);
  return packUniforms([
    ['u32', s.B],
    ['u32', s.Tq],
    ['u32', s.Tk],
    ['u32', s.H],
    ['u32', s.D],
    ['f32', s.scale],
    ['u32', s.causal ? 1 : 0],
    ['u32', inputs.bias ? 1 : 0],
  ]);
}

const kernel = (entryPoint: string) => ({ shader: SEQ2SEQ_ATTENTION_SHADER, entryPoint });

// out: [B,Tq,H,D], lse: [B,H,Tq] (saved for backward)
export function seq2seqAttentionForward(enc: Encoder, out: GPUBuffer, lse: GPUBuffer, inputs: Seq2SeqAttentionInputs, s: Seq2SeqAttentionShape): void {
  const uniforms = uniformsOf('seq2seqAttentionForward', s, inputs);
  requireFloats('seq2seqAttentionForward', 'out', out, s.B * s.Tq * s.H * s.D);
  requireFloats('seq2seqAttentionForward', 'lse', lse, s.B * s.H * s.Tq);
  // Without a bias the kernel never reads it: any buffer holds its binding.
  const { q, k, v, mask } = inputs;
  const bias = inputs.bias ?? mask;
  enc.dispatch(kernel('seq2seq_attention_forward'), grid1d(s.B * s.H * s.Tq, 64), [out, lse, q, k, v, bias, mask], uniforms);
}

/**
 * dq [B,Tq,H,D] +=, dk, dv [B,Tk,H,D] +=, dbias [H,Tq,Tk] += (with a bias; null without);
 * delta [B,H,Tq] scratch; dout, out [B,Tq,H,D] and lse from the forward pass.
 */
export function seq2seqAttentionBackward(
  enc: Encoder,
  grads: { dq: GPUBuffer; dk: GPUBuffer; dv: GPUBuffer; dbias: GPUBuffer | null; delta: GPUBuffer },
  dout: GPUBuffer,
  out: GPUBuffer,
  lse: GPUBuffer,
  inputs: Seq2SeqAttentionInputs,
  s: Seq2SeqAttentionShape,
): void {
  const op = 'seq2seqAttentionBackward';
  const uniforms = uniformsOf(op, s, inputs);
  const rowsQ = s.B * s.Tq * s.H * s.D;
  const rowsK = s.B * s.Tk * s.H * s.D;
  for (const [name, buffer, floats] of [['dq', grads.dq, rowsQ], ['dout', dout, rowsQ], ['out', out, rowsQ], ['dk', grads.dk, rowsK], ['dv', grads.dv, rowsK], ['delta', grads.delta, s.B * s.H * s.Tq], ['lse', lse, s.B * s.H * s.Tq]] as const) requireFloats(op, name, buffer, floats);
  if (inputs.bias && !grads.dbias) throw new RangeError(`${op}: a bias needs its gradient buffer (dbias)`);
  if (grads.dbias) requireFloats(op, 'dbias', grads.dbias, s.H * s.Tq * s.Tk);
  const { q, k, v, mask } = inputs;
  const bias = inputs.bias ?? mask;
  // dq writes delta, which dk, dv and dbias read: the three run in this order.
  enc.dispatch(kernel('seq2seq_attention_backward_dq'), grid1d(s.B * s.H * s.Tq, 64), [grads.dq, grads.delta, dout, out, q, k, v, bias, mask, lse], uniforms);
  enc.dispatch(kernel('seq2seq_attention_backward_dkv'), grid1d(s.B * s.H * s.Tk, 64), [grads.dk, grads.dv, dout, q, k, v, bias, mask, lse, grads.delta], uniforms);
  if (inputs.bias) enc.dispatch(kernel('seq2seq_attention_backward_bias'), grid1d(s.H * s.Tq * s.Tk, 64), [grads.dbias!, dout, q, k, v, bias, mask, lse, grads.delta], uniforms);
}
