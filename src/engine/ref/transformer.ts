// The CPU reference transformer: the same model as src/engine/transformer.ts written with plain
// loops (the ops' CPU twins) in f64, for small sizes only. Tests compare the GPU engine's logits,
// loss and every gradient with it, and check its own gradients against finite differences.

import type { ModelSpec } from '../../model/spec';
import { blockLinears, linearName, type BlockLinear, type LinearKind } from '../architecture';
import { ropeTables } from '../rope-tables';
import { attentionBackwardRef, attentionForwardRef } from './attention';
import { geluBackwardRef, geluForwardRef, swigluBackwardRef, swigluForwardRef } from './activation';
import { crossEntropyRef } from './crossentropy';
import { copyColumnsRef } from './elementwise';
import { embeddingBackwardRef, embeddingForwardRef } from './embedding';
import { linearBackwardRef, linearForwardRef, type LoraRef } from './linear';
import { matmulRef } from './matmul';
import { layernormBackwardRef, layernormForwardRef, rmsnormBackwardRef, rmsnormForwardRef } from './norm';
import { ropeBackwardRef, ropeForwardRef } from './rope';
import { architectureOf } from '../../model/architectures';

type Tensors = Map<string, Float64Array>;

interface Saved {
  [name: string]: Float64Array;
}

export interface ReferenceResult {
  logits: Float64Array; // [N, V]
  losses: Float64Array; // [N]
  /** Mean loss over counted targets. */
  loss: number;
  count: number;
}

export class ReferenceTransformer {
  readonly adapters = new Map<string, LoraRef>();
  /** ∂L/∂W of the frozen linear weights named here, filled by backward. */
  readonly weightGradients = new Map<string, Float64Array>();
  /**
   * Full training: ∂L/∂θ of the weights named here (`embed`, `layers.0.norm1.weight`, …, same shapes),
   * filled by backward (+=). A linear weight takes its gradient from weightGradients when named there.
   */
  readonly parameterGradients = new Map<string, Float64Array>();
  /** ∂L/∂(embedding output) [N, C], filled by backward. */
  inputGradient: Float64Array;
  private readonly linears: BlockLinear[];
  private readonly N: number;
  private readonly rope: { cos: Float32Array; sin: Float32Array } | null;
  private saved: Saved[] = [];
  private top: Saved = {};

  constructor(
    readonly spec: ModelSpec,
    readonly weights: Tensors,
    readonly B: number,
    readonly T: number,
  ) {
    this.N = B * T;
    this.linears = blockLinears(spec);
    this.rope = spec.rope ? ropeTables(spec.rope, spec.headDim, T) : null;
    this.inputGradient = new Float64Array(this.N * spec.hiddenSize);
  }

  /** Forward pass; keeps what backward needs. */
  forward(tokens: ArrayLike<number>, targets: Int32Array): ReferenceResult {
    const { spec, N, T } = this;
    const { hiddenSize: C, vocabSize: V } = spec;
    let x: Float64Array = new Float64Array(N * C);
    embeddingForwardRef(x, Uint32Array.from(tokens), this.w('embed'), spec.rope ? null : this.w('pos_embed'), N, T, C);
    this.saved = [];
    for (let l = 0; l < spec.layers; l++) x = this.blockForward(l, x);
    const normed = this.norm('final_norm', x, this.top);
    this.top.x = x;
    this.top.normed = normed;
    this.top.tokens = Float64Array.from(tokens);
    const logits = new Float64Array(N * V);
    matmulRef(logits, normed, this.lmHead(), null, { M: N, N: V, K: C, transB: true });
    this.top.logits = logits;
    const losses = new Float64Array(N);
    crossEntropyRef(losses, null, logits, targets, N, V, null);
    const count = targets.filter((t) => t >= 0).length;
    this.top.targets = Float64Array.from(targets);
    return { logits, losses, loss: losses.reduce((a, b) => a + b, 0) / Math.max(count, 1), count };
  }

  /** Backward of the mean loss of the last forward: adds into adapter and weight gradients, sets the input gradient. */
  backward(): void {
    const { spec, N } = this;
    const { hiddenSize: C, vocabSize: V } = spec;
    const targets = Int32Array.from(this.top.targets);
    const count = targets.filter((t) => t >= 0).length;
    const dlogits = new Float64Array(N * V);
    crossEntropyRef(new Float64Array(N), dlogits, this.top.logits, targets, N, V, 1 / Math.max(count, 1));
    const dnormed = new Float64Array(N * C);
    matmulRef(dnormed, dlogits, this.lmHead(), null, { M: N, N: C, K: V });
    // dW_lm [V, C] += dlogitsᵀ · x_final: into the embedding's gradient when the head is tied.
    const dHead = this.parameterGradients.get(spec.tiedEmbeddings ? 'embed' : 'lm_head');
    if (dHead) matmulRef(dHead, dlogits, this.top.normed, null, { M: V, N: C, K: N, transA: true, accumulate: true });
    const dx = new Float64Array(N * C);
    this.normBackward('final_norm', dx, dnormed, this.top.x, this.top);
    for (let l = spec.layers - 1; l >= 0; l--) this.blockBackward(l, dx);
    this.inputGradient = dx;
    const dEmbed = this.parameterGradients.get('embed') ?? null;
    const dPos = spec.rope ? null : (this.parameterGradients.get('pos_embed') ?? null);
    if (dEmbed || dPos) embeddingBackwardRef(dEmbed, dPos, dx, Uint32Array.from(this.top.tokens), N, this.T, C);
  }

  private blockForward(l: number, x: Float64Array): Float64Array {
    const { spec, N, T } = this;
    const { hiddenSize: C, heads: Hq, kvHeads: Hkv, headDim: D, intermediateSize: F } = spec;
    const s: Saved = { x };
    const n1 = this.norm(`layers.${l}.norm1`, x, s, '1');
    s.n1 = n1;
    let q: Float64Array, k: Float64Array, v: Float64Array;
    if (architectureOf(spec).fusedQkv) {
      const qkv = this.linear(l, 'attn.qkv', n1);
      [q, k, v] = [0, 1, 2].map((i) => {
        const part = new Float64Array(N * C);
        copyColumnsRef(part, { stride: C, offset: 0 }, qkv, { stride: 3 * C, offset: i * C }, N, C);
        return part;
      }) as [Float64Array, Float64Array, Float64Array];
    } else {
      [q, k, v] = [this.linear(l, 'attn.q', n1), this.linear(l, 'attn.k', n1), this.linear(l, 'attn.v', n1)];
    }
    if (this.rope) {
      ropeForwardRef(q, this.rope.cos, this.rope.sin, N, T, Hq, D);
      ropeForwardRef(k, this.rope.cos, this.rope.sin, N, T, Hkv, D);
    }
    const att = new Float64Array(N * Hq * D);
    attentionForwardRef(att, new Float64Array(this.B * Hq * T), q, k, v, this.attentionShape());
    Object.assign(s, { q, k, v, att });
    const mid = add(x, this.linear(l, 'attn.o', att));
    s.mid = mid;
    const n2 = this.norm(`layers.${l}.norm2`, mid, s, '2');
    s.n2 = n2;
    let out: Float64Array;
    if (spec.mlp === 'swiglu') {
      const gate = this.linear(l, 'mlp.gate', n2);
      const up = this.linear(l, 'mlp.up', n2);
      const act = new Float64Array(N * F);
      swigluForwardRef(act, gate, up, N * F);
      Object.assign(s, { gate, up, act });
      out = add(mid, this.linear(l, 'mlp.down', act));
    } else {
      const fc = this.linear(l, 'mlp.fc', n2);
      const act = new Float64Array(N * F);
      geluForwardRef(act, fc, N * F);
      Object.assign(s, { fc, act });
      out = add(mid, this.linear(l, 'mlp.proj', act));
    }
    this.saved[l] = s;
    return out;
  }

  // dx holds ∂L/∂(block output) on entry and ∂L/∂(block input) on exit.
  private blockBackward(l: number, dx: Float64Array): void {
    const { spec, N, T } = this;
    const { hiddenSize: C, heads: Hq, kvHeads: Hkv, headDim: D, intermediateSize: F } = spec;
    const s = this.saved[l];
    const dact = new Float64Array(N * F);
    const dn2 = new Float64Array(N * C);
    if (spec.mlp === 'swiglu') {
      this.linearGrad(l, 'mlp.down', dact, dx, s.act);
      const [dgate, dup] = [new Float64Array(N * F), new Float64Array(N * F)];
      swigluBackwardRef(dgate, dup, dact, s.gate, s.up, N * F);
      this.linearGrad(l, 'mlp.gate', dn2, dgate, s.n2);
      this.linearGrad(l, 'mlp.up', dn2, dup, s.n2);
    } else {
      this.linearGrad(l, 'mlp.proj', dact, dx, s.act);
      const dfc = new Float64Array(N * F);
      geluBackwardRef(dfc, dact, s.fc, N * F);
      this.linearGrad(l, 'mlp.fc', dn2, dfc, s.n2);
    }
    this.normBackward(`layers.${l}.norm2`, dx, dn2, s.mid, s, '2');

    const datt = new Float64Array(N * Hq * D);
    this.linearGrad(l, 'attn.o', datt, dx, s.att);
    const [dq, dk, dv] = [new Float64Array(N * Hq * D), new Float64Array(N * Hkv * D), new Float64Array(N * Hkv * D)];
    attentionBackwardRef(dq, dk, dv, datt, s.q, s.k, s.v, this.attentionShape());
    if (this.rope) {
      ropeBackwardRef(dq, this.rope.cos, this.rope.sin, N, T, Hq, D);
      ropeBackwardRef(dk, this.rope.cos, this.rope.sin, N, T, Hkv, D);
    }
    const dn1 = new Float64Array(N * C);
    if (architectureOf(spec).fusedQkv) {
      const dqkv = new Float64Array(N * 3 * C);
      [dq, dk, dv].forEach((part, i) => copyColumnsRef(dqkv, { stride: 3 * C, offset: i * C }, part, { stride: C, offset: 0 }, N, C));
      this.linearGrad(l, 'attn.qkv', dn1, dqkv, s.n1);
    } else {
      this.linearGrad(l, 'attn.q', dn1, dq, s.n1);
      this.linearGrad(l, 'attn.k', dn1, dk, s.n1);
      this.linearGrad(l, 'attn.v', dn1, dv, s.n1);
    }
    this.normBackward(`layers.${l}.norm1`, dx, dn1, s.x, s, '1');
  }

  private linear(l: number, kind: LinearKind, x: Float64Array): Float64Array {
    const name = linearName(l, kind);
    const layer = this.layer(name, kind);
    const y = new Float64Array(this.N * layer.out);
    linearForwardRef(y, x, layer, this.adapters.get(name) ?? null, this.N);
    return y;
  }

  private linearGrad(l: number, kind: LinearKind, dx: Float64Array, dy: Float64Array, x: Float64Array): void {
    const name = linearName(l, kind);
    const dW = this.weightGradients.get(name) ?? this.parameterGradients.get(`${name}.weight`) ?? null;
    const dbias = this.parameterGradients.get(`${name}.bias`) ?? null;
    linearBackwardRef(dx, dy, x, this.layer(name, kind), this.adapters.get(name) ?? null, dW, this.N, dbias);
  }

  private layer(name: string, kind: LinearKind) {
    const shape = this.linears.find((b) => b.kind === kind)!;
    return { out: shape.out, in: shape.in, weight: this.w(`${name}.weight`), bias: shape.bias ? this.w(`${name}.bias`) : null };
  }

  private norm(name: string, x: Float64Array, s: Saved, tag = 'f'): Float64Array {
    const { N, spec } = this;
    const C = spec.hiddenSize;
    const out = new Float64Array(N * C);
    const rstd = new Float64Array(N);
    if (spec.norm === 'rms') rmsnormForwardRef(out, rstd, x, this.w(`${name}.weight`), N, C, spec.normEps);
    else {
      const mean = new Float64Array(N);
      layernormForwardRef(out, mean, rstd, x, this.w(`${name}.weight`), this.w(`${name}.bias`), N, C, spec.normEps);
      s[`mean${tag}`] = mean;
    }
    s[`rstd${tag}`] = rstd;
    return out;
  }

  private normBackward(name: string, dx: Float64Array, dout: Float64Array, x: Float64Array, s: Saved, tag = 'f'): void {
    const { N, spec } = this;
    const C = spec.hiddenSize;
    const dweight = this.parameterGradients.get(`${name}.weight`) ?? null;
    const dbias = this.parameterGradients.get(`${name}.bias`) ?? null;
    if (spec.norm === 'rms') rmsnormBackwardRef(dx, dweight, dout, x, this.w(`${name}.weight`), s[`rstd${tag}`], N, C);
    else layernormBackwardRef(dx, dweight, dbias, dout, x, this.w(`${name}.weight`), s[`mean${tag}`], s[`rstd${tag}`], N, C);
  }

  private attentionShape() {
    return { B: this.B, T: this.T, Hq: this.spec.heads, Hkv: this.spec.kvHeads, D: this.spec.headDim };
  }

  private lmHead(): Float64Array {
    return this.spec.tiedEmbeddings ? this.w('embed') : this.w('lm_head');
  }

  private w(name: string): Float64Array {
    const tensor = this.weights.get(name);
    if (!tensor) throw new Error(`the reference model has no weight "${name}"`);
    return tensor;
  }
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}
