// CPU reference SVD: one-sided Jacobi (Hestenes), in f64. Slow (O(sweeps · rows · cols²)) and exact
// to rounding; the GPU's randomised top-k SVD (src/gora/svd.ts) is tested against it, and it solves
// that method's small dense problem. Rotating column pairs until they are orthogonal leaves
// A·V = U·diag(S) with V orthogonal, so A = U·diag(S)·Vᵀ.

export interface Svd {
  /** [rows, k] left singular vectors, as columns. */
  U: Float64Array;
  /** [k] singular values, largest first. */
  S: Float64Array;
  /** [cols, k] right singular vectors, as columns. */
  V: Float64Array;
  k: number;
}

const MAX_SWEEPS = 60;

/** Thin SVD of a [rows, cols] row-major matrix: k = min(rows, cols) triplets, largest first. */
export function svdRef(a: ArrayLike<number>, rows: number, cols: number): Svd {
  if (!(Number.isSafeInteger(rows) && Number.isSafeInteger(cols) && rows >= 1 && cols >= 1)) throw new RangeError(`svdRef needs a shape of whole numbers ≥ 1, got [${rows}, ${cols}]`);
  if (a.length !== rows * cols) throw new RangeError(`svdRef: the matrix has ${a.length} values, [${rows}, ${cols}] needs ${rows * cols}`);
  if (rows < cols) {
    // Aᵀ = V·S·Uᵀ: the tall case with the roles of U and V swapped.
    const t = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
    const s = tallSvd(t, cols, rows);
    return { U: s.V, S: s.S, V: s.U, k: s.k };
  }
  return tallSvd(Float64Array.from(a), rows, cols);
}

/** rows ≥ cols; `w` is overwritten. */
function tallSvd(w: Float64Array, rows: number, cols: number): Svd {
  const v = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) v[i * cols + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < rows; i++) {
          const x = w[i * cols + p];
          const y = w[i * cols + q];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        // Columns already orthogonal to working precision are left alone; this is what ends the sweeps.
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(w, rows, cols, p, q, c, s);
        rotate(v, cols, cols, p, q, c, s);
      }
    }
    if (!rotated) break;
  }
  const norms = Array.from({ length: cols }, (_, j) => {
    let sum = 0;
    for (let i = 0; i < rows; i++) sum += w[i * cols + j] ** 2;
    return Math.sqrt(sum);
  });
  const order = norms.map((_, j) => j).sort((x, y) => norms[y] - norms[x]);
  const U = new Float64Array(rows * cols);
  const V = new Float64Array(cols * cols);
  const S = new Float64Array(cols);
  order.forEach((j, out) => {
    S[out] = norms[j];
    // A zero singular value has no defined left vector; its column stays zero.
    const inv = norms[j] > 0 ? 1 / norms[j] : 0;
    for (let i = 0; i < rows; i++) U[i * cols + out] = w[i * cols + j] * inv;
    for (let i = 0; i < cols; i++) V[i * cols + out] = v[i * cols + j];
  });
  return { U, S, V, k: cols };
}

/** Columns p, q of a [rows, cols] matrix ← (c·x − s·y, s·x + c·y). */
function rotate(m: Float64Array, rows: number, cols: number, p: number, q: number, c: number, s: number): void {
  for (let i = 0; i < rows; i++) {
    const x = m[i * cols + p];
    const y = m[i * cols + q];
    m[i * cols + p] = c * x - s * y;
    m[i * cols + q] = s * x + c * y;
  }
}
