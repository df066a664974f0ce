// The matrix products of one training step at a model size, in the matmul kernel's convention
// C[M, N] = op(A)·op(B) (src/engine/ops/matmul.ts), with their floating-point operation counts.
// A linear layer W [m, n] on N = B·T rows (src/engine/linear.ts):
//   forward  y = x·Wᵀ        M = N, N = m, K = n, B transposed
//   backward dX = dY·W       M = N, N = n, K = m
//            dW = dYᵀ·X      M = m, N = n, K = N, A transposed   (GoRA's scan, docs/gora.md §2)
//   LoRA     u = x·Aᵀ        M = N, N = r, K = n, B transposed
//            y += (xAᵀ)·Bᵀ   M = N, N = m, K = r, B transposed

import { blockLinears } from '../../src/engine/architecture';
import type { ModelSpec } from '../../src/model/spec';

export type Product = 'x·Wᵀ' | 'dY·W' | 'dYᵀ·X' | 'x·Aᵀ' | '(xAᵀ)·Bᵀ';

export interface MatmulCase {
  /** e.g. `gate/up x·Wᵀ`. */
  name: string;
  /** The linear layers with this shape, e.g. `gate/up`. */
  layers: string;
  product: Product;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  flops: number;
}

/** 2·M·N·K: one multiply and one add per term. */
export function matmulFlops(M: number, N: number, K: number): number {
  return 2 * M * N * K;
}

function product(layers: string, product: Product, M: number, N: number, K: number, transA: boolean, transB: boolean): MatmulCase {
  return { name: `${layers} ${product}`, layers, product, M, N, K, transA, transB, flops: matmulFlops(M, N, K) };
}

/**
 * Every distinct product of a LoRA training step and of the scan at `tokens` = B·T rows and LoRA
 * rank `rank`: the three products of each distinct linear shape, then the two LoRA products of
 * each distinct input and output width. Layers that share a shape are measured once (`q/o`).
 */
export function matmulCases(spec: ModelSpec, tokens: number, rank: number): MatmulCase[] {
  if (!Number.isSafeInteger(tokens) || tokens < 1) throw new RangeError(`matmulCases: tokens must be a whole number ≥ 1, got ${tokens}`);
  if (!Number.isSafeInteger(rank) || rank < 1) throw new RangeError(`matmulCases: rank must be a whole number ≥ 1, got ${rank}`);
  const shapes = new Map<string, { m: number; n: number; kinds: string[] }>();
  for (const linear of blockLinears(spec)) {
    const key = `${linear.out}x${linear.in}`;
    const entry = shapes.get(key) ?? { m: linear.out, n: linear.in, kinds: [] };
    entry.kinds.push(linear.kind);
    shapes.set(key, entry);
  }
  // `q/o`, `gate/up`: the layers' short names (attn.q → q), which are unique within a block.
  const label = (kinds: string[]) => kinds.map((k) => k.slice(k.indexOf('.') + 1)).join('/');
  const cases: MatmulCase[] = [];
  for (const { m, n, kinds } of shapes.values()) {
    const layers = label(kinds);
    cases.push(product(layers, 'x·Wᵀ', tokens, m, n, false, true));
    cases.push(product(layers, 'dY·W', tokens, n, m, false, false));
    cases.push(product(layers, 'dYᵀ·X', m, n, tokens, true, false));
  }
  const byWidth = (width: (s: { m: number; n: number }) => number, make: (w: number, layers: string) => MatmulCase) => {
    const widths = new Map<number, string[]>();
    for (const s of shapes.values()) widths.set(width(s), [...(widths.get(width(s)) ?? []), ...s.kinds]);
    for (const [w, kinds] of widths) cases.push(make(w, label(kinds)));
  };
  byWidth((s) => s.n, (n, layers) => product(layers, 'x·Aᵀ', tokens, rank, n, false, true));
  byWidth((s) => s.m, (m, layers) => product(layers, '(xAᵀ)·Bᵀ', tokens, m, rank, false, true));
  return cases;
}

/** GFLOP/s of `flops` done in `seconds`. */
export function gflops(flops: number, seconds: number): number {
  return flops / seconds / 1e9;
}
