// Full reductions to one float, written at out[outIndex] and left on the GPU (so a gradient norm or
// an importance never needs a readback) — see shaders/reduce.wgsl. GoRA's importance may read W as a
// stored weight of any format (shaders/reduce-weights.wgsl decodes it in place).

import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { dataBytes, scaleBytes, type PackedWeight } from '../weight-format';
import { requireDims, requireFloats } from './check';
import { isPacked, weightShader, type WeightOperand } from './weights';
import code from '../../../shaders/reduce.wgsl?raw';
import weightsCode from '../../../shaders/reduce-weights.wgsl?raw';

export const REDUCE_SHADER: Shader = { name: 'shaders/reduce.wgsl', code };
const REDUCE_WEIGHTS: Shader = { name: 'shaders/reduce-weights.wgsl', code: weightsCode };

export type Reduction = 'sum' | 'sumSquares' | 'meanAbsProduct';

const OP: Record<Reduction, number> = { sum: 0, sumSquares: 1, meanAbsProduct: 2 };
/** Most workgroups of the first pass: enough to fill a GPU, few enough for one final workgroup. */
const MAX_GROUPS = 256;

export function partialGroups(n: number): number {
  return Math.min(MAX_GROUPS, Math.max(1, Math.ceil(n / 1024)));
}

/**
 * out[outIndex] = Σ x (sum), Σ x² (sumSquares) or mean |x·y| (meanAbsProduct, GoRA's importance
 * mean|W ⊙ G|). `scratch` holds the partial sums: at least partialGroups(n) floats. For
 * meanAbsProduct x may be W as a PackedWeight (n = rows · cols), y being the f32 gradient G.
 */
export function reduce(
  enc: Encoder,
  kind: Reduction,
  out: GPUBuffer,
  outIndex: number,
  scratch: GPUBuffer,
  x: WeightOperand,
  y: GPUBuffer | null,
  n: number,
): void {
  requireDims(kind, { n });
  if (isPacked(x)) requireWeight(kind, x, n);
  else requireFloats(kind, 'x', x, n);
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
  const grid = [serial ? Math.ceil(groups / 64) : groups, 1, 1] as const;
  if (isPacked(x)) {
    const partial = { shader: weightShader(REDUCE_WEIGHTS, x.format), entryPoint: serial ? 'mean_abs_product_partial_serial' : 'mean_abs_product_partial' };
    const bindings = [scratch, y!, x.data, ...(x.scales ? [x.scales] : [])];
    enc.dispatch(partial, grid, bindings, packUniforms([['u32', n], ['u32', groups], ['u32', x.cols]]));
  } else {
    const partial = { shader, entryPoint: serial ? 'reduce_partial_serial' : 'reduce_partial', constants: { OP: OP[kind] } };
    enc.dispatch(partial, grid, [scratch, x, y ?? enc.gpu.unused], uniforms);
  }
  enc.dispatch({ shader, entryPoint: serial ? 'reduce_final_serial' : 'reduce_final' }, [1, 1, 1], [out, scratch], uniforms);
}

function requireWeight(kind: Reduction, w: PackedWeight, n: number): void {
  if (kind !== 'meanAbsProduct') throw new RangeError(`${kind}: x must be an f32 buffer (a packed ${w.format} weight is read only by meanAbsProduct)`);
  if (w.rows * w.cols !== n) throw new RangeError(`${kind}: x ("${w.data.label}") is a ${w.rows}×${w.cols} weight, not ${n} values`);
  if (w.data.size < dataBytes(w.format, w.rows, w.cols) || (w.scales?.size ?? 0) < scaleBytes(w.format, w.rows, w.cols)) {
    throw new RangeError(`${kind}: x ("${w.data.label}") is smaller than a ${w.rows}×${w.cols} ${w.format} weight`);
  }
}
