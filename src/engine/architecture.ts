// The linear layers of one transformer block as the engine sizes them, in the order the block uses
// them (from the architecture's description, src/model/architectures.ts). Canonical names match
// ModelSpec's WeightEntry names (src/model/spec.ts).

import type { ModelSpec } from '../model/spec';
import { architectureOf, type LinearKind } from '../model/architectures';

export type { LinearKind };

export interface BlockLinear {
  kind: LinearKind;
  out: number; // m
  in: number; // n
  bias: boolean;
}

export function blockLinears(spec: ModelSpec): BlockLinear[] {
  return architectureOf(spec).linears.map((l) => ({ kind: l.kind, out: l.out(spec), in: l.in(spec), bias: l.bias(spec) }));
}

/** `layers.3.attn.q` */
export function linearName(layer: number, kind: LinearKind): string {
  return `layers.${layer}.${kind}`;
}

/** The layer of a linear layer's name, the inverse of linearName (`layers.3.attn.q` → 3). */
export function layerOfLinear(name: string): number {
  return Number(name.split('.')[1]);
}
