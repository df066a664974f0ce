// cos/sin tables for rotary embeddings, computed once per run on the CPU in f64, as Hugging Face's
// `_compute_default_rope_parameters` and `_compute_llama3_parameters` define the frequencies.

import type { RopeSpec } from '../model/spec';

/** inv_freq[i] = 1 / θ^(2i/D), with Llama 3's long-context rescaling when configured. */
export function ropeInverseFrequencies(rope: RopeSpec, headDim: number): Float64Array {
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(rope.theta, (2 * i) / headDim);
  const scaling = rope.scaling;
  if (!scaling) return inv;
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = scaling;
  const lowFreqWavelen = originalMaxPositions / lowFreqFactor;
  const highFreqWavelen = originalMaxPositions / highFreqFactor;
  for (let i = 0; i < half; i++) {
    const wavelen = (2 * Math.PI) / inv[i];
    if (wavelen > lowFreqWavelen) {
      inv[i] = inv[i] / factor; // long wavelengths: fully interpolated
    } else if (wavelen >= highFreqWavelen) {
      // in between: blend smoothly between interpolated and original
      const smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      inv[i] = (1 - smooth) * (inv[i] / factor) + smooth * inv[i];
    }
  }
  return inv;
}

/** cos and sin of position·inv_freq, each [T, D/2]. */
export function ropeTables(rope: RopeSpec, headDim: number, T: number): { cos: Float32Array; sin: Float32Array } {
  if (headDim % 2 !== 0) throw new RangeError(`rotary embeddings need an even head dimension, got ${headDim}`);
  const inv = ropeInverseFrequencies(rope, headDim);
  const half = headDim / 2;
  const cos = new Float32Array(T * half);
  const sin = new Float32Array(T * half);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      // Hugging Face forms the angle in f32; rounding it first keeps long positions identical.
      const angle = Math.fround(t * Math.fround(inv[i]));
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
