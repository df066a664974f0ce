// CPU twins of shaders/embedding.wgsl, same argument order. V is the number of rows wte (dwte)
// holds; a token ≥ V is an error here, where it can be reported. Backward adds into its gradients.

import type { Floats } from './floats';

function checkToken(op: string, tokens: Uint32Array, n: number, V: number): number {
  const token = tokens[n];
  if (token >= V) throw new RangeError(`${op}: tokens[${n}] = ${token} is outside the vocabulary (V = ${V})`);
  return token;
}

// out [N,C], tokens [N], wte [V,C], wpe [≥ T, C]
export function embeddingForwardRef(
  out: Floats,
  tokens: Uint32Array,
  wte: Floats,
  wpe: Floats | null,
  N: number,
  T: number,
  C: number,
): void {
  const V = Math.floor(wte.length / C);
  for (let n = 0; n < N; n++) {
    const token = checkToken('embeddingForwardRef', tokens, n, V);
    const pos = (n % T) * C;
    for (let c = 0; c < C; c++) out[n * C + c] = wte[token * C + c] + (wpe ? wpe[pos + c] : 0);
  }
}

// dwte [V,C] +=, dwpe [≥ T, C] += (when given); dout [N,C], tokens [N]
export function embeddingBackwardRef(
  dwte: Floats | null,
  dwpe: Floats | null,
  dout: Floats,
  tokens: Uint32Array,
  N: number,
  T: number,
  C: number,
): void {
  const V = dwte ? Math.floor(dwte.length / C) : Infinity;
  for (let n = 0; n < N; n++) {
    const token = checkToken('embeddingBackwardRef', tokens, n, V);
    const pos = (n % T) * C;
    for (let c = 0; c < C; c++) {
      if (dwte) dwte[token * C + c] += dout[n * C + c];
      if (dwpe) dwpe[pos + c] += dout[n * C + c];
    }
  }
}

// One row range of a vocabulary split across bindings (shaders/embedding.wgsl, embedding_add_rows):
// out [N,C] += wteRows[tokens[n] − rowOffset] where the token lies in rowOffset .. rowOffset + V_k,
// wteRows [V_k, C]; other rows of out are left as they are.
export function embeddingAddRowsRef(out: Floats, tokens: Uint32Array, wteRows: Floats, rowOffset: number, N: number, C: number): void {
  const rows = Math.floor(wteRows.length / C);
  for (let n = 0; n < N; n++) {
    const row = tokens[n] - rowOffset;
    if (row < 0 || row >= rows) continue;
    for (let c = 0; c < C; c++) out[n * C + c] += wteRows[row * C + c];
  }
}

// The gradient of one row range (embedding_dwte with a row offset): dwteRows [V_k, C] += dout [N,C]
// of the rows whose token lies in rowOffset .. rowOffset + V_k.
export function embeddingRowsBackwardRef(dwteRows: Floats, dout: Floats, tokens: Uint32Array, rowOffset: number, N: number, C: number): void {
  const rows = Math.floor(dwteRows.length / C);
  for (let n = 0; n < N; n++) {
    const row = tokens[n] - rowOffset;
    if (row < 0 || row >= rows) continue;
    for (let c = 0; c < C; c++) dwteRows[row * C + c] += dout[n * C + c];
  }
}
