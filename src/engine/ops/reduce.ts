// Full reductions to one float, written at out[outIndex] and left on the GPU (so a gradient norm or
// an importance never needs a readback) — see shaders/reduce.wgsl.

import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/reduce.wgsl?raw';

export const REDUCE_SHADER: Shader = { name: 'shaders/reduce.wgsl', code };

export type Reduction = 'sum' | 'sumSquares' | 'meanAbsProduct';

const OP: Record<Reduction, number> = { sum: 0, sumSquares: 1, meanAbsProduct: 2 };
/** Most workgroups of the first pass: enough to fill a GPU, few enough for one final workgroup. */
const MAX_GROUPS = 256;

export function partialGroups(n: number): number {
  return Math.min(MAX_GROUPS, Math.max(1, Math.ceil(n / 1024)));
}

/**
 * out[outIndex] = Σ x (sum), Σ x² (sumSquares) or mean |x·y| (meanAbsProduct, GoRA's importance
 * mean|W ⊙ G|). `scratch` holds the partial sums: at least partialGroups(n) floats.
 */
export function reduce(
  enc: Encoder,
  kind: Reduction,
  out: GPUBuffer,
  outIndex: number,
  scratch: GPUBuffer,
  x: GPUBuffer,
  y: GPUBuffer | null,
  n: number,
): void {
  requireDims(kind, { n });
  requireFloats(kind, 'x', x, n);
  if (kind === 'meanAbsProduct') {
    if (!y) throw new RangeError('meanAbsProduct needs a second operand y');
    requireFloats(kind, 'y', y, n);
  }
  requireFloats(kind, 'out', out, outIndex + 1);
  const groups = partialGroups(n);
  requireFloats(kind, 'scratch', scratch, groups);
  const scale = kind === 'meanAbsProduct' ? 1 / n : 1;
  const uniforms = packUniforms([
    ['u32', n],
    ['u32', groups],
    ['f32', scale],
    ['u32', outIndex],
  ]);
  const shader = REDUCE_SHADER;
  // parallel: a 256-wide workgroup per partial sum; serial: one invocation per partial, 64 per workgroup.
  const serial = enc.gpu.kernelVariant === 'serial';
  const partial = { shader, entryPoint: serial ? 'reduce_partial_serial' : 'reduce_partial', constants: { OP: OP[kind] } };
  enc.dispatch(partial, [serial ? Math.ceil(groups / 64) : groups, 1, 1], [scratch, x, y ?? enc.gpu.unused], uniforms);
  enc.dispatch({ shader, entryPoint: serial ? 'reduce_final_serial' : 'reduce_final' }, [1, 1, 1], [out, scratch], uniforms);
}
