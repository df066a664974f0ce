// CPU twin of shaders/attention.wgsl: the textbook formulas with the full softmax row per query.

import type { AttentionShape } from '../ops/attention';
import type { Floats } from './floats';

/** Probabilities of query row (b, h, i) over keys 0..i, and its log-sum-exp. */
function softmaxRow(q: Floats, k: Floats, s: AttentionShape, b: number, h: number, i: number): { probs: Float64Array; lse: number } {
  const { T, Hq, Hkv, D } = s;
  const kvh = Math.floor(h / (Hq / Hkv));
  const scale = 1 / Math.sqrt(D);
  const qi = ((b * T + i) * Hq + h) * D;
  const scores = new Float64Array(i + 1);
  let max = -Infinity;
  for (let j = 0; j <= i; j++) {
    const kj = ((b * T + j) * Hkv + kvh) * D;
    let dot = 0;
    for (let d = 0; d < D; d++) dot += q[qi + d] * k[kj + d];
    scores[j] = dot * scale;
    max = Math.max(max, scores[j]);
  }
  let sum = 0;
  for (let j = 0; j <= i; j++) sum += Math.exp(scores[j] - max);
  for (let j = 0; j <= i; j++) scores[j] = Math.exp(scores[j] - max) / sum;
  return { probs: scores, lse: max + Math.log(sum) };
}

export function attentionForwardRef(out: Floats, lse: Floats, q: Floats, k: Floats, v: Floats, s: AttentionShape): void {
  const { B, T, Hq, Hkv, D } = s;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kvh = Math.floor(h / (Hq / Hkv));
      for (let i = 0; i < T; i++) {
        const row = softmaxRow(q, k, s, b, h, i);
        const oi = ((b * T + i) * Hq + h) * D;
        for (let d = 0; d < D; d++) {
          let sum = 0;
          for (let j = 0; j <= i; j++) sum += row.probs[j] * v[((b * T + j) * Hkv + kvh) * D + d];
          out[oi + d] = sum;
        }
        lse[(b * Hq + h) * T + i] = row.lse;
      }
    }
  }
}

/** dq, dk, dv +=. */
export function attentionBackwardRef(dq: Floats, dk: Floats, dv: Floats, dout: Floats, q: Floats, k: Floats, v: Floats, s: AttentionShape): void {
  const { B, T, Hq, Hkv, D } = s;
  const scale = 1 / Math.sqrt(D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kvh = Math.floor(h / (Hq / Hkv));
      for (let i = 0; i < T; i++) {
        const { probs } = softmaxRow(q, k, s, b, h, i);
        const qi = ((b * T + i) * Hq + h) * D;
        // dp_j = dout_i · v_j; ds_j = p_j (dp_j − Σ_k p_k dp_k)
        const dp = new Float64Array(i + 1);
        let weighted = 0;
        for (let j = 0; j <= i; j++) {
          const vj = ((b * T + j) * Hkv + kvh) * D;
          for (let d = 0; d < D; d++) dp[j] += dout[qi + d] * v[vj + d];
          weighted += probs[j] * dp[j];
        }
        for (let j = 0; j <= i; j++) {
          const kj = ((b * T + j) * Hkv + kvh) * D;
          const ds = probs[j] * (dp[j] - weighted);
          for (let d = 0; d < D; d++) {
            dq[qi + d] += scale * ds * k[kj + d];
            dk[kj + d] += scale * ds * q[qi + d];
            dv[kj + d] += probs[j] * dout[qi + d];
          }
        }
      }
    }
  }
}
