// CPU twin of shaders/attention-seq2seq.wgsl: the textbook formulas, the full softmax row per query.

import type { Seq2SeqAttentionShape } from '../ops/attention-seq2seq';
import type { Floats } from './floats';

export interface Seq2SeqAttentionArrays {
  q: Floats;
  k: Floats;
  v: Floats;
  /** [H, Tq, Tk], or null for none. */
  bias: Floats | null;
  /** [B, Tk]: 1 seen, 0 not. */
  mask: Floats;
}

/** Probabilities of query row (b, h, i) over the keys (0 where unseen), and its log-sum-exp (0 when it sees none). */
function softmaxRow(x: Seq2SeqAttentionArrays, s: Seq2SeqAttentionShape, b: number, h: number, i: number): { probs: Float64Array; lse: number } {
  const { Tq, Tk, H, D } = s;
  const qi = ((b * Tq + i) * H + h) * D;
  const scores = new Float64Array(Tk).fill(-Infinity);
  let max = -Infinity;
  for (let j = 0; j < Tk; j++) {
    if (x.mask[b * Tk + j] < 0.5 || (s.causal && j > i)) continue;
    const kj = ((b * Tk + j) * H + h) * D;
    let dot = 0;
    for (let d = 0; d < D; d++) dot += x.q[qi + d] * x.k[kj + d];
    scores[j] = dot * s.scale + (x.bias ? x.bias[(h * Tq + i) * Tk + j] : 0);
    max = Math.max(max, scores[j]);
  }
  if (max === -Infinity) return { probs: new Float64Array(Tk), lse: 0 };
  let sum = 0;
  for (let j = 0; j < Tk; j++) sum += Math.exp(scores[j] - max);
  return { probs: scores.map((score) => Math.exp(score - max) / sum), lse: max + Math.log(sum) };
}

export function seq2seqAttentionForwardRef(out: Floats, lse: Floats, x: Seq2SeqAttentionArrays, s: Seq2SeqAttentionShape): void {
  const { B, Tq, Tk, H, D } = s;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < Tq; i++) {
        const { probs, lse: l } = softmaxRow(x, s, b, h, i);
        lse[(b * H + h) * Tq + i] = l;
        const qi = ((b * Tq + i) * H + h) * D;
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j < Tk; j++) acc += probs[j] * x.v[((b * Tk + j) * H + h) * D + d];
          out[qi + d] = acc;
        }
      }
    }
  }
}

/** dq, dk, dv, dbias (when given) +=, from dout [B,Tq,H,D]. */
export function seq2seqAttentionBackwardRef(grads: { dq: Floats; dk: Floats; dv: Floats; dbias: Floats | null }, dout: Floats, x: Seq2SeqAttentionArrays, s: Seq2SeqAttentionShape): void {
  const { B, Tq, Tk, H, D } = s;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < Tq; i++) {
        const { probs } = softmaxRow(x, s, b, h, i);
        const qi = ((b * Tq + i) * H + h) * D;
        const dp = new Float64Array(Tk);
        let delta = 0;
        for (let j = 0; j < Tk; j++) {
          const kj = ((b * Tk + j) * H + h) * D;
          for (let d = 0; d < D; d++) dp[j] += dout[qi + d] * x.v[kj + d];
          delta += probs[j] * dp[j];
        }
        for (let j = 0; j < Tk; j++) {
          if (probs[j] === 0) continue;
          const kj = ((b * Tk + j) * H + h) * D;
          const ds = probs[j] * (dp[j] - delta);
          for (let d = 0; d < D; d++) {
            grads.dq[qi + d] += s.scale * ds * x.k[kj + d];
            grads.dk[kj + d] += s.scale * ds * x.q[qi + d];
            grads.dv[kj + d] += probs[j] * dout[qi + d];
          }
          if (grads.dbias) grads.dbias[(h * Tq + i) * Tk + j] += ds;
        }
      }
    }
  }
}
