// Softmax cross-entropy with ignored targets, optionally turning the logits into their gradient in
// place — see shaders/crossentropy.wgsl.

import { grid1d } from '../../gpu/dispatch';
import type { Encoder } from '../../gpu/encoder';
import type { Shader } from '../../gpu/pipelines';
import { packUniforms } from '../../gpu/uniforms';
import { requireDims, requireFloats } from './check';
import code from '../../../shaders/crossentropy.wgsl?raw';

export const CROSSENTROPY_SHADER: Shader = { name: 'shaders/crossentropy.wgsl', code };

/** PyTorch's ignore_index: a target that contributes no loss and no gradient (any negative works). */
export const IGNORE_INDEX = -100;

/**
 * losses [N] = −log softmax(logits[n])[targets[n]], or 0 where targets[n] < 0 (targets: i32 [N]).
 *
 * With a number `gradScale`, logits [N,V] is overwritten with dlogits = gradScale · (softmax −
 * onehot(target)) (zero rows for ignored targets): the caller passes the loss's weight, e.g.
 * 1 / (number of counted targets) for a mean. With null, logits is left as it was (evaluation).
 * Target values are not checked here (they live on the GPU); one ≥ V is treated as ignored.
 */
export function crossEntropy(
  enc: Encoder,
  losses: GPUBuffer,
  logits: GPUBuffer,
  targets: GPUBuffer,
  N: number,
  V: number,
  gradScale: number | null,
): void {
  const op = 'crossEntropy';
  requireDims(op, { N, V });
  requireFloats(op, 'losses', losses, N);
  requireFloats(op, 'logits', logits, N * V);
  requireFloats(op, 'targets', targets, N);
  if (gradScale !== null && !Number.isFinite(gradScale)) throw new RangeError(`${op}: gradScale must be finite, got ${gradScale}`);
  const uniforms = packUniforms([
    ['u32', N],
    ['u32', V],
    ['f32', gradScale ?? 0],
  ]);
  // parallel: one 256-wide workgroup per row; serial: one invocation per row, 64 per workgroup.
  const serial = enc.gpu.kernelVariant === 'serial';
  const entryPoint = serial ? 'cross_entropy_serial' : 'cross_entropy';
  const kernel = { shader: CROSSENTROPY_SHADER, entryPoint, constants: { WRITE_GRAD: gradScale !== null } };
  enc.dispatch(kernel, grid1d(N, serial ? 64 : 1), [losses, logits, targets], uniforms);
}
