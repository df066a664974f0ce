// Every activation buffer of one Transformer, allocated once for a batch shape and reused by every
// step: what forward saves per layer for backward, and the scratch gradients backward shares across
// layers. Shapes use N = B·T rows.

import type { Allocator } from '../gpu/gpu';
import type { ModelSpec } from '../model/spec';
import type { BatchShape } from './transformer';
import { architectureOf } from '../model/architectures';

/** What a norm saves for backward: rstd [N], and mean [N] for LayerNorm. */
export interface NormSaved {
  mean: GPUBuffer | null;
  rstd: GPUBuffer;
}

export interface LayerBuffers {
  norm1: NormSaved;
  norm1Out: GPUBuffer; // [N, C]
  q: GPUBuffer; // [N, Hq·D] after rotary embedding
  k: GPUBuffer; // [N, Hkv·D] after rotary embedding
  v: GPUBuffer; // [N, Hkv·D]
  att: GPUBuffer; // [N, Hq·D] attention output, before the o projection
  lse: GPUBuffer; // [B, Hq, T]
  mid: GPUBuffer; // [N, C] residual after attention
  norm2: NormSaved;
  norm2Out: GPUBuffer; // [N, C]
  hidden1: GPUBuffer; // [N, F] gate (SwiGLU) or fc output (GELU)
  hidden2: GPUBuffer | null; // [N, F] up (SwiGLU)
  act: GPUBuffer; // [N, F] MLP activation, input of down/proj
}

export class TransformerBuffers {
  readonly tokens: GPUBuffer; // [N] u32
  readonly targets: GPUBuffer; // [N] i32
  readonly residual: GPUBuffer[]; // L + 1 × [N, C]
  readonly layers: LayerBuffers[];
  readonly finalNorm: NormSaved;
  readonly finalNormOut: GPUBuffer; // [N, C]
  readonly logits: GPUBuffer; // [N, V], replaced by dlogits when training
  readonly losses: GPUBuffer; // [N]
  readonly projOut: GPUBuffer; // [N, C] scratch: output of o / down projections
  readonly qkv: GPUBuffer | null; // [N, 3C] scratch (GPT-2): fused projection, then its gradient
  // Backward scratch, shared by every layer.
  readonly dres: GPUBuffer; // [N, C] ∂L/∂residual
  readonly dnorm: GPUBuffer; // [N, C]
  readonly datt: GPUBuffer; // [N, Hq·D]
  readonly dq: GPUBuffer; // [N, Hq·D]
  readonly dk: GPUBuffer; // [N, Hkv·D]
  readonly dv: GPUBuffer; // [N, Hkv·D]
  readonly delta: GPUBuffer; // [B, Hq, T]
  readonly dact: GPUBuffer; // [N, F]
  readonly dhidden1: GPUBuffer; // [N, F]
  readonly dhidden2: GPUBuffer; // [N, F]
  private readonly all: GPUBuffer[] = [];

  constructor(gpu: Allocator, spec: ModelSpec, shape: BatchShape) {
    const { B, T } = shape;
    const N = B * T;
    const { hiddenSize: C, heads: Hq, kvHeads: Hkv, headDim: D, intermediateSize: F, vocabSize: V } = spec;
    const make = (label: string, floats: number) => {
      const buffer = gpu.createBuffer(label, floats * 4);
      this.all.push(buffer);
      return buffer;
    };
    const norm = (label: string): NormSaved => ({ mean: spec.norm === 'layer' ? make(`${label} mean`, N) : null, rstd: make(`${label} rstd`, N) });

    this.tokens = make('tokens', N);
    this.targets = make('targets', N);
    this.residual = Array.from({ length: spec.layers + 1 }, (_, l) => make(`residual ${l}`, N * C));
    this.layers = Array.from({ length: spec.layers }, (_, l) => ({
      norm1: norm(`layer ${l} norm1`),
      norm1Out: make(`layer ${l} norm1 out`, N * C),
      q: make(`layer ${l} q`, N * Hq * D),
      k: make(`layer ${l} k`, N * Hkv * D),
      v: make(`layer ${l} v`, N * Hkv * D),
      att: make(`layer ${l} attention`, N * Hq * D),
      lse: make(`layer ${l} logsumexp`, B * Hq * T),
      mid: make(`layer ${l} mid residual`, N * C),
      norm2: norm(`layer ${l} norm2`),
      norm2Out: make(`layer ${l} norm2 out`, N * C),
      hidden1: make(`layer ${l} ${spec.mlp === 'swiglu' ? 'gate' : 'fc'}`, N * F),
      hidden2: spec.mlp === 'swiglu' ? make(`layer ${l} up`, N * F) : null,
      act: make(`layer ${l} activation`, N * F),
    }));
    this.finalNorm = norm('final norm');
    this.finalNormOut = make('final norm out', N * C);
    this.logits = make('logits', N * V);
    this.losses = make('losses', N);
    this.projOut = make('projection out', N * C);
    this.qkv = architectureOf(spec).fusedQkv ? make('qkv', N * 3 * C) : null;
    this.dres = make('d residual', N * C);
    this.dnorm = make('d norm', N * C);
    this.datt = make('d attention', N * Hq * D);
    this.dq = make('dq', N * Hq * D);
    this.dk = make('dk', N * Hkv * D);
    this.dv = make('dv', N * Hkv * D);
    this.delta = make('attention delta', B * Hq * T);
    this.dact = make('d activation', N * F);
    this.dhidden1 = make('d hidden1', N * F);
    this.dhidden2 = make('d hidden2', N * F);
  }

  destroy(): void {
    for (const buffer of this.all) buffer.destroy();
  }
}
