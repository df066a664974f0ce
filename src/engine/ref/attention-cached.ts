// CPU twin of shaders/attention-cached.wgsl: the full softmax row per new query.

import type { CachedAttentionShape } from '../ops/attention-cached';
import type { Floats } from './floats';

export function cachedAttentionForwardRef(out: Floats, q: Floats, kCache: Floats, vCache: Floats, bias: Floats | null, s: CachedAttentionShape): void {
  const { Tq, start, Hq, Hkv, D, scale } = s;
  const keys = start + Tq;
  for (let i = 0; i < Tq; i++) {
    for (let h = 0; h < Hq; h++) {
      const kvh = Math.floor(h / (Hq / Hkv));
      const qi = (i * Hq + h) * D;
      const seen = start + i + 1;
      const scores = new Float64Array(seen);
      for (let j = 0; j < seen; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qi + d] * kCache[(j * Hkv + kvh) * D + d];
        scores[j] = dot * scale + (bias ? bias[(h * Tq + i) * keys + j] : 0);
      }
      const max = Math.max(...scores);
      const weights = scores.map((score) => Math.exp(score - max));
      const sum = weights.reduce((a, b) => a + b, 0);
      for (let d = 0; d < D; d++) {
        let acc = 0;
        for (let j = 0; j < seen; j++) acc += weights[j] * vCache[(j * Hkv + kvh) * D + d];
        out[qi + d] = acc / sum;
      }
    }
  }
}
