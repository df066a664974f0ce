// Token and learned-position embeddings, forward and (deterministic) backward — see
// shaders/embedding.wgsl. Backward adds into its gradients.

import { grid1d } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/embedding.wgsl?raw';

export const EMBEDDING_SHADER: Shader = { name: 'shaders/embedding.wgsl', code };

function uniforms(N: number, T: number, C: number, rowOffset = 0): ArrayBuffer {
  return packUniforms([
    ['u32', N],
    ['u32', T],
    ['u32', C],
    ['u32', rowOffset],
  ]);
}

/**
 * out [N,C] = wte[tokens[n]] + (wpe ? wpe[n mod T] : 0), with tokens u32 [N], wte [V,C] and wpe
 * [maxPositions ≥ T, C] (GPT-2's learned positions; null for rotary models). V is wte's row count;
 * token values are not checked here (they live on the GPU): one ≥ V reads as a zero row.
 */
export function embeddingForward(
  enc: Encoder,
  out: GPUBuffer,
  tokens: GPUBuffer,
  wte: GPUBuffer,
  wpe: GPUBuffer | null,
  N: number,
  T: number,
  C: number,
): void {
  const op = 'embeddingForward';
  requireDims(op, { N, T, C });
  requireFloats(op, 'out', out, N * C);
  requireFloats(op, 'tokens', tokens, N);
  requireFloats(op, 'wte', wte, C);
  if (wpe) requireFloats(op, 'wpe', wpe, T * C);
  const kernel = { shader: EMBEDDING_SHADER, entryPoint: 'embedding_forward', constants: { HAS_WPE: wpe !== null } };
  enc.dispatch(kernel, grid1d(N * C, 256), [out, tokens, wte, wpe ?? enc.gpu.unused], uniforms(N, T, C));
}

/**
 * out [N,C] += wte_rows[tokens[n] − rowOffset] for the rows whose token lies in rowOffset ..
 * rowOffset + V_k, where wte_rows [V_k, C] is one row range of a vocabulary split across bindings;
 * other rows are left as they are. After embeddingForward on the first range, one call per later
 * range completes the lookup.
 */
export function embeddingAddRows(enc: Encoder, out: GPUBuffer, tokens: GPUBuffer, wteRows: GPUBuffer, rowOffset: number, N: number, C: number): void {
  const op = 'embeddingAddRows';
  requireDims(op, { N, C });
  requireFloats(op, 'out', out, N * C);
  requireFloats(op, 'tokens', tokens, N);
  requireFloats(op, 'wteRows', wteRows, C);
  enc.dispatch({ shader: EMBEDDING_SHADER, entryPoint: 'embedding_add_rows' }, grid1d(N * C, 256), [out, tokens, wteRows], uniforms(N, 1, C, rowOffset));
}

/**
 * dwte [V,C] += Σ over rows with that token of dout, dwpe [≥ T, C] += Σ over rows at that position
 * of dout (each skipped when null); dout [N,C], tokens u32 [N]. With rowOffset, dwte [V_k, C] is the
 * gradient of vocabulary rows rowOffset .. rowOffset + V_k only (a vocabulary split across bindings)
 * and other tokens are skipped. No float atomics: the result does not depend on scheduling.
 */
export function embeddingBackward(
  enc: Encoder,
  dwte: GPUBuffer | null,
  dwpe: GPUBuffer | null,
  dout: GPUBuffer,
  tokens: GPUBuffer,
  N: number,
  T: number,
  C: number,
  rowOffset = 0,
): void {
  const op = 'embeddingBackward';
  requireDims(op, { N, T, C });
  if (dwte) requireFloats(op, 'dwte', dwte, C);
  if (dwpe) requireFloats(op, 'dwpe', dwpe, T * C);
  requireFloats(op, 'dout', dout, N * C);
  requireFloats(op, 'tokens', tokens, N);
  const u = uniforms(N, T, C, rowOffset);
  if (dwte) enc.dispatch({ shader: EMBEDDING_SHADER, entryPoint: 'embedding_dwte' }, grid1d(C, 256), [dwte, dout, tokens], u);
  if (dwpe) enc.dispatch({ shader: EMBEDDING_SHADER, entryPoint: 'embedding_dwpe' }, grid1d(T * C, 256), [dwpe, dout], u);
}
