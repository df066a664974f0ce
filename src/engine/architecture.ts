// The linear layers of one transformer block, per architecture, in the order the block uses them.
// Canonical names match ModelSpec's WeightEntry names (src/model/spec.ts).

import type { ModelSpec } from '../model/spec';

export type LinearKind = 'attn.q' | 'attn.k' | 'attn.v' | 'attn.qkv' | 'attn.o' | 'mlp.gate' | 'mlp.up' | 'mlp.down' | 'mlp.fc' | 'mlp.proj';

export interface BlockLinear {
  kind: LinearKind;
  out: number; // m
  in: number; // n
  bias: boolean;
}

export function blockLinears(spec: ModelSpec): BlockLinear[] {
  const { hiddenSize: C, heads: Hq, kvHeads: Hkv, headDim: D, intermediateSize: F } = spec;
  if (spec.architecture === 'gpt2') {
    return [
      { kind: 'attn.qkv', out: 3 * C, in: C, bias: true },
      { kind: 'attn.o', out: C, in: C, bias: true },
      { kind: 'mlp.fc', out: F, in: C, bias: true },
      { kind: 'mlp.proj', out: C, in: F, bias: true },
    ];
  }
  return [
    { kind: 'attn.q', out: Hq * D, in: C, bias: spec.qkvBias },
    { kind: 'attn.k', out: Hkv * D, in: C, bias: spec.qkvBias },
    { kind: 'attn.v', out: Hkv * D, in: C, bias: spec.qkvBias },
    { kind: 'attn.o', out: C, in: Hq * D, bias: spec.projBias },
    { kind: 'mlp.gate', out: F, in: C, bias: spec.projBias },
    { kind: 'mlp.up', out: F, in: C, bias: spec.projBias },
    { kind: 'mlp.down', out: C, in: F, bias: spec.projBias },
  ];
}

/** `layers.3.attn.q` */
export function linearName(layer: number, kind: LinearKind): string {
  return `layers.${layer}.${kind}`;
}

/** The layer of a linear layer's name, the inverse of linearName (`layers.3.attn.q` → 3). */
export function layerOfLinear(name: string): number {
  return Number(name.split('.')[1]);
}
