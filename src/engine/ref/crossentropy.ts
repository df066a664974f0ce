// CPU twin of shaders/crossentropy.wgsl (f64 arithmetic). The gradient goes to its own array
// `dlogits`, which may be `logits` itself, as on the GPU.

import type { Floats } from './floats';

/**
 * losses [N] = −log softmax(logits[n])[targets[n]] (0 where targets[n] < 0); when dlogits [N,V] is
 * given, it is overwritten with gradScale · (softmax − onehot) (zero rows for ignored targets).
 * logits [N,V], targets [N]. A target ≥ V is an error here, where it can be reported.
 */
export function crossEntropyRef(
  losses: Floats,
  dlogits: Floats | null,
  logits: Floats,
  targets: Int32Array,
  N: number,
  V: number,
  gradScale: number | null,
): void {
  if ((dlogits === null) !== (gradScale === null)) {
    throw new RangeError('crossEntropyRef: dlogits and gradScale go together (both given, or both null)');
  }
  for (let n = 0; n < N; n++) {
    const t = targets[n];
    if (t >= V) throw new RangeError(`crossEntropyRef: targets[${n}] = ${t} is outside the vocabulary (V = ${V})`);
    const base = n * V;
    if (t < 0) {
      losses[n] = 0;
      if (dlogits) dlogits.fill(0, base, base + V);
      continue;
    }
    let max = -Infinity;
    for (let i = 0; i < V; i++) max = Math.max(max, logits[base + i]);
    let sum = 0;
    for (let i = 0; i < V; i++) sum += Math.exp(logits[base + i] - max);
    losses[n] = max - logits[base + t] + Math.log(sum);
    if (dlogits) {
      for (let i = 0; i < V; i++) {
        const prob = Math.exp(logits[base + i] - max) / sum;
        dlogits[base + i] = gradScale! * (prob - (i === t ? 1 : 0));
      }
    }
  }
}
