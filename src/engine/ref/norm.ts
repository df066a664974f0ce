// CPU twins of shaders/norm.wgsl: plain loops with f64 accumulation, same argument order as
// src/engine/ops/norm.ts. Backward adds into its gradients.

import type { Floats } from './floats';

// out [N,C], rstd [N], inp [N,C], weight [C]
export function rmsnormForwardRef(out: Floats, rstd: Floats, inp: Floats, weight: Floats, N: number, C: number, eps: number): void {
  for (let n = 0; n < N; n++) {
    const base = n * C;
    let ss = 0;
    for (let i = 0; i < C; i++) ss += inp[base + i] * inp[base + i];
    const r = 1 / Math.sqrt(ss / C + eps);
    rstd[n] = r;
    for (let i = 0; i < C; i++) out[base + i] = inp[base + i] * r * weight[i];
  }
}

// dinp [N,C] +=, dweight [C] += (when given); dout [N,C], inp [N,C], weight [C], rstd [N]
export function rmsnormBackwardRef(
  dinp: Floats,
  dweight: Floats | null,
  dout: Floats,
  inp: Floats,
  weight: Floats,
  rstd: Floats,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const base = n * C;
    const r = rstd[n];
    let gx = 0;
    for (let i = 0; i < C; i++) gx += dout[base + i] * weight[i] * inp[base + i];
    // y = x·r·w with r = (mean(x²) + eps)^(-1/2), so ∂r/∂xⱼ = −r³·xⱼ/C.
    const k = (gx / C) * r * r * r;
    for (let i = 0; i < C; i++) {
      dinp[base + i] += r * dout[base + i] * weight[i] - k * inp[base + i];
      if (dweight) dweight[i] += dout[base + i] * inp[base + i] * r;
    }
  }
}

// out [N,C], mean [N], rstd [N], inp [N,C], weight [C], bias [C]
export function layernormForwardRef(
  out: Floats,
  mean: Floats,
  rstd: Floats,
  inp: Floats,
  weight: Floats,
  bias: Floats,
  N: number,
  C: number,
  eps: number,
): void {
  for (let n = 0; n < N; n++) {
    const base = n * C;
    let s = 0;
    for (let i = 0; i < C; i++) s += inp[base + i];
    const m = s / C;
    let ss = 0;
    for (let i = 0; i < C; i++) ss += (inp[base + i] - m) ** 2;
    const r = 1 / Math.sqrt(ss / C + eps);
    mean[n] = m;
    rstd[n] = r;
    for (let i = 0; i < C; i++) out[base + i] = (inp[base + i] - m) * r * weight[i] + bias[i];
  }
}

// dinp [N,C] +=, dweight [C] +=, dbias [C] += (when given); dout [N,C], inp [N,C], weight [C],
// mean [N], rstd [N]
export function layernormBackwardRef(
  dinp: Floats,
  dweight: Floats | null,
  dbias: Floats | null,
  dout: Floats,
  inp: Floats,
  weight: Floats,
  mean: Floats,
  rstd: Floats,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const base = n * C;
    const m = mean[n];
    const r = rstd[n];
    let gMean = 0;
    let gxMean = 0;
    for (let i = 0; i < C; i++) {
      const g = dout[base + i] * weight[i];
      gMean += g;
      gxMean += g * (inp[base + i] - m) * r;
    }
    gMean /= C;
    gxMean /= C;
    for (let i = 0; i < C; i++) {
      const xhat = (inp[base + i] - m) * r;
      dinp[base + i] += r * (dout[base + i] * weight[i] - gMean - xhat * gxMean);
      if (dweight) dweight[i] += dout[base + i] * xhat;
      if (dbias) dbias[i] += dout[base + i];
    }
  }
}
