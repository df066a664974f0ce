// The same Llama model written with TensorFlow.js ops, for the comparison: RMSNorm, rotate-half
// RoPE (the engine's own cos/sin tables), causal grouped-query attention, SwiGLU, LoRA on every
// target linear (y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ, src/engine/linear.ts) and the mean cross-entropy over
// counted targets. Gradients come from TF.js's autodiff (tf.variableGrads).

import * as tf from '@tensorflow/tfjs-core';
import { ropeTables } from '../../src/engine/rope-tables';
import type { InitialAdapter } from '../../src/train/adapters';
import type { BenchBatch, BenchModel } from './model';

export interface TfAdapter {
  A: tf.Variable; // [r, n]
  B: tf.Variable; // [m, r]
  scale: number;
}

export class TfLlama {
  /** Every weight as a variable (so the scan can ask for the frozen weights' gradients). */
  readonly weights = new Map<string, tf.Variable>();
  readonly adapters = new Map<string, TfAdapter>();
  private readonly cos: tf.Tensor; // [1, T, 1, D/2]
  private readonly sin: tf.Tensor;
  private readonly causal: tf.Tensor; // [g·T, T] additive mask: 0 where the key is visible
  private readonly tokens: tf.Tensor1D; // [N] int32
  private readonly oneHot: tf.Tensor2D; // [N, V] 1 at each counted target
  private readonly count: number;

  constructor(readonly model: BenchModel) {
    const { spec, setup, batch } = model;
    if (!spec.rope || spec.norm !== 'rms' || spec.mlp !== 'swiglu') throw new RangeError('the TensorFlow.js model is a Llama block: RoPE, RMSNorm, SwiGLU');
    for (const [name, data] of model.weights) this.weights.set(name, tf.variable(tf.tensor(data, this.shapeOf(name, data.length)), true));
    const T = setup.seqLen;
    const half = spec.headDim / 2;
    const tables = ropeTables(spec.rope, spec.headDim, T);
    this.cos = tf.tensor(tables.cos, [1, T, 1, half]);
    this.sin = tf.tensor(tables.sin, [1, T, 1, half]);
    const group = spec.heads / spec.kvHeads;
    const mask = new Float32Array(group * T * T);
    for (let g = 0; g < group; g++) for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[(g * T + i) * T + j] = -1e9;
    this.causal = tf.tensor(mask, [group * T, T]);
    this.tokens = tf.tensor1d(Int32Array.from(batch.tokens), 'int32');
    this.oneHot = oneHotTargets(batch, spec.vocabSize);
    this.count = batch.count;
  }

  attachAdapters(adapters: Map<string, InitialAdapter>): void {
    for (const [name, a] of adapters) {
      const target = this.model.targets.find((t) => t.name === name);
      if (!target) throw new RangeError(`"${name}" is not a linear layer of this model`);
      this.adapters.set(name, {
        A: tf.variable(tf.tensor(a.A, [a.rank, target.in]), true),
        B: tf.variable(tf.tensor(a.B, [target.out, a.rank]), true),
        scale: a.scale,
      });
    }
  }

  get adapterVariables(): tf.Variable[] {
    return [...this.adapters.values()].flatMap((a) => [a.A, a.B]);
  }

  /** The frozen target weights (GoRA's scan gradients). */
  get targetVariables(): tf.Variable[] {
    return this.model.targets.map((t) => this.weight(`${t.name}.weight`));
  }

  /** Mean cross-entropy over the batch's counted targets. */
  loss(): tf.Scalar {
    const { spec } = this.model;
    let x = tf.gather(this.weight('embed'), this.tokens) as tf.Tensor2D; // [N, C]
    for (let l = 0; l < spec.layers; l++) {
      // x = x + attn(norm1(x));  x = x + mlp(norm2(x))
      x = tf.add(x, this.attention(l, this.rmsNorm(x, `layers.${l}.norm1.weight`)));
      const h = this.rmsNorm(x, `layers.${l}.norm2.weight`);
      const gate = this.linear(h, `layers.${l}.mlp.gate`);
      const up = this.linear(h, `layers.${l}.mlp.up`);
      x = tf.add(x, this.linear(tf.mul(tf.mul(gate, tf.sigmoid(gate)), up), `layers.${l}.mlp.down`));
    }
    const head = this.weight(spec.tiedEmbeddings ? 'embed' : 'lm_head');
    const logits = tf.matMul(this.rmsNorm(x, 'final_norm.weight'), head, false, true); // [N, V]
    const rowLoss = tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, this.oneHot), 1));
    const counted = tf.sum(this.oneHot, 1); // 1 on counted rows, 0 on −100
    return tf.div(tf.sum(tf.mul(rowLoss, counted)), this.count) as tf.Scalar;
  }

  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
    for (const a of this.adapters.values()) {
      a.A.dispose();
      a.B.dispose();
    }
    for (const t of [this.cos, this.sin, this.causal, this.tokens, this.oneHot]) t.dispose();
  }

  private attention(l: number, h: tf.Tensor2D): tf.Tensor2D {
    const { spec, setup } = this.model;
    const { batch: B, seqLen: T } = setup;
    const { heads: Hq, kvHeads: Hkv, headDim: D } = spec;
    const g = Hq / Hkv;
    const q = this.rope(this.linear(h, `layers.${l}.attn.q`), Hq); // [B, T, Hq, D]
    const k = this.rope(this.linear(h, `layers.${l}.attn.k`), Hkv);
    const v = tf.reshape(this.linear(h, `layers.${l}.attn.v`), [B, T, Hkv, D]);
    // Query head j·g + i reads key/value head j: group the query heads of one kv head as g·T rows.
    const qg = tf.reshape(tf.transpose(q, [0, 2, 1, 3]), [B, Hkv, g * T, D]);
    const kt = tf.transpose(k, [0, 2, 1, 3]); // [B, Hkv, T, D]
    const vt = tf.transpose(v, [0, 2, 1, 3]);
    const scores = tf.add(tf.mul(tf.matMul(qg, kt, false, true), 1 / Math.sqrt(D)), this.causal); // [B, Hkv, g·T, T]
    const out = tf.matMul(tf.softmax(scores), vt); // [B, Hkv, g·T, D]
    const merged = tf.reshape(tf.transpose(tf.reshape(out, [B, Hq, T, D]), [0, 2, 1, 3]), [B * T, Hq * D]) as tf.Tensor2D;
    return this.linear(merged, `layers.${l}.attn.o`);
  }

  /** Rotate-half RoPE on [N, H·D] (src/engine/ref/rope.ts), returned as [B, T, H, D]. */
  private rope(x: tf.Tensor2D, H: number): tf.Tensor4D {
    const { batch: B, seqLen: T } = this.model.setup;
    const D = this.model.spec.headDim;
    const x4 = tf.reshape(x, [B, T, H, D]);
    const [x1, x2] = tf.split(x4, 2, 3);
    return tf.concat([tf.sub(tf.mul(x1, this.cos), tf.mul(x2, this.sin)), tf.add(tf.mul(x2, this.cos), tf.mul(x1, this.sin))], 3) as tf.Tensor4D;
  }

  private rmsNorm(x: tf.Tensor2D, weight: string): tf.Tensor2D {
    const meanSquare = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, this.model.spec.normEps))), this.weight(weight)) as tf.Tensor2D;
  }

  private linear(x: tf.Tensor2D, name: string): tf.Tensor2D {
    const y: tf.Tensor2D = tf.matMul(x, this.weight(`${name}.weight`), false, true) as tf.Tensor2D;
    const adapter = this.adapters.get(name);
    if (!adapter) return y;
    return tf.add(y, tf.mul(tf.matMul(tf.matMul(x, adapter.A, false, true), adapter.B, false, true), adapter.scale)) as tf.Tensor2D;
  }

  private weight(name: string): tf.Variable {
    const w = this.weights.get(name);
    if (!w) throw new Error(`the model has no weight "${name}"`);
    return w;
  }

  private shapeOf(name: string, length: number): number[] {
    const { spec, targets } = this.model;
    if (name === 'embed' || name === 'lm_head') return [spec.vocabSize, spec.hiddenSize];
    const target = targets.find((t) => `${t.name}.weight` === name);
    return target ? [target.out, target.in] : [length];
  }
}

/** [N, V] with a 1 at each counted target: the cross-entropy picks the target's logit with it. */
function oneHotTargets(batch: BenchBatch, V: number): tf.Tensor2D {
  const N = batch.targets.length;
  const data = new Float32Array(N * V);
  batch.targets.forEach((t, i) => {
    if (t >= 0) data[i * V + t] = 1;
  });
  return tf.tensor2d(data, [N, V]);
}
