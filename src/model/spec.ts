// What the engine needs to know about a model, derived from a Hugging Face config.json by
// ./config.ts. One convention inside: every linear weight is [out, in] (PyTorch nn.Linear);
// GPT-2's Conv1D [in, out] weights are transposed at load time.

export type Architecture = 'llama' | 'qwen2' | 'gpt2';

export interface Llama3RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositions: number;
}

export interface RopeSpec {
  theta: number;
  scaling: Llama3RopeScaling | null;
}

export interface ModelSpec {
  architecture: Architecture;
  /** config.model_type as written ('llama', 'qwen2', 'gpt2'). */
  modelType: string;
  vocabSize: number; // V
  hiddenSize: number; // C
  layers: number; // L
  heads: number; // Hq, query heads
  kvHeads: number; // Hkv, key/value heads (GQA: Hq % Hkv == 0)
  headDim: number; // D
  intermediateSize: number; // F, MLP width
  maxPositions: number;
  norm: 'rms' | 'layer';
  normEps: number;
  /** swiglu: down(silu(gate(x)) * up(x)); gelu: proj(gelu_tanh(fc(x))). */
  mlp: 'swiglu' | 'gelu';
  /** Rotary embeddings (Llama, Qwen2); null means learned absolute positions (GPT-2). */
  rope: RopeSpec | null;
  /** Biases on the q, k, v projections (Qwen2, GPT-2). */
  qkvBias: boolean;
  /** Biases on the attention output and MLP projections (GPT-2). */
  projBias: boolean;
  tiedEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenId: number | null;
}

/**
 * One tensor the engine holds, with where it comes from in the checkpoint.
 * Canonical names: `embed`, `pos_embed`, `final_norm.weight|bias`, `lm_head`, and per layer
 * `layers.{i}.norm1.weight|bias`, `layers.{i}.norm2.weight|bias`, linear layers
 * `layers.{i}.{attn.q|attn.k|attn.v|attn.qkv|attn.o|mlp.gate|mlp.up|mlp.down|mlp.fc|mlp.proj}.weight|bias`.
 */
export interface WeightEntry {
  name: string;
  /** Tensor name in the checkpoint, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  hfName: string;
  /** Shape inside the engine ([out, in] for linear weights). */
  shape: number[];
  /** The checkpoint stores the transpose ([in, out], GPT-2 Conv1D). */
  transposed: boolean;
}

/** A linear layer that may carry an adapter (docs/gora.md §1: every linear layer of every block). */
export interface LinearTarget {
  /** Canonical weight name prefix, e.g. `layers.3.attn.q`. */
  name: string;
  /** PEFT module name, e.g. `model.layers.3.self_attn.q_proj` or `transformer.h.3.attn.c_attn`. */
  module: string;
  /** PEFT target_modules entry, e.g. `q_proj` or `c_attn`. */
  shortName: string;
  out: number; // m
  in: number; // n
  hasBias: boolean;
  /** Conv1D in the checkpoint: PEFT needs fan_in_fan_out. */
  conv1d: boolean;
}
