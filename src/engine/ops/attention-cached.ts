// Attention of new query rows against a key/value cache — see shaders/attention-cached.wgsl.

import { grid1d } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/attention-cached.wgsl?raw';

export const CACHED_ATTENTION_SHADER: Shader = { name: 'shaders/attention-cached.wgsl', code };

export interface CachedAttentionShape {
  /** New query rows, at positions start .. start + Tq − 1. */
  Tq: number;
  /** Rows already in the cache before these. */
  start: number;
  Hq: number;
  Hkv: number;
  D: number;
  /** Multiplies q·k before the bias (1/√D for decoder-only models, 1 for T5). */
  scale: number;
}

/**
 * out [Tq, Hq, D] from q [Tq, Hq, D] and the caches [≥ start + Tq, Hkv, D], with an optional bias
 * [Hq, Tq, start + Tq].
 */
export function cachedAttentionForward(enc: Encoder, out: GPUBuffer, q: GPUBuffer, kCache: GPUBuffer, vCache: GPUBuffer, bias: GPUBuffer | null, s: CachedAttentionShape): void {
  const op = 'cachedAttentionForward';
  const { Tq, start, Hq, Hkv, D } = s;
  requireDims(op, { Tq, Hq, Hkv, D });
  if (!Number.isInteger(start) || start < 0) throw new RangeError(`${op}: start must be a whole number ≥ 0, got ${start}`);
  if (Hq % Hkv !== 0) throw new RangeError(`${op}: ${Hq} query heads are not a multiple of ${Hkv} key/value heads`);
  const keys = start + Tq;
  requireFloats(op, 'out', out, Tq * Hq * D);
  requireFloats(op, 'q', q, Tq * Hq * D);
  requireFloats(op, 'kCache', kCache, keys * Hkv * D);
  requireFloats(op, 'vCache', vCache, keys * Hkv * D);
  if (bias) requireFloats(op, 'bias', bias, Hq * Tq * keys);
  const uniforms = packUniforms([
    ['u32', Tq],
    ['u32', start],
    ['u32', Hq],
    ['u32', Hkv],
    ['u32', D],
    ['f32', s.scale],
    ['u32', bias ? 1 : 0],
  ]);
  // Without a bias the kernel never reads it: any buffer holds its binding.
  enc.dispatch({ shader: CACHED_ATTENTION_SHADER, entryPoint: 'cached_attention_forward' }, grid1d(Tq * Hq, 64), [out, q, kCache, vCache, bias ?? q], uniforms);
}
