// One description per architecture: what its checkpoint tensors are called, which linear layers a
// block holds (with the names PEFT gives them), and how a block uses them. The loader (weights.ts),
// the engine (src/engine/architecture.ts, transformer.ts), the memory plan and the export read it;
// adding an architecture is adding an entry here, not a branch in each of them. Names follow
// transformers' modeling_llama.py, modeling_qwen2.py and modeling_gpt2.py.

import { ModelFormatError } from './errors';
import type { Architecture, ModelSpec } from './spec';

export type LinearKind = 'attn.q' | 'attn.k' | 'attn.v' | 'attn.qkv' | 'attn.o' | 'mlp.gate' | 'mlp.up' | 'mlp.down' | 'mlp.fc' | 'mlp.proj';

/** A linear layer of every block, in the order the block uses it. */
export interface LinearDescription {
  kind: LinearKind;
  /** Its module path inside a block, e.g. `self_attn.q_proj` (the block's path is blockModule). */
  module: string;
  out: (spec: ModelSpec) => number;
  in: (spec: ModelSpec) => number;
  bias: (spec: ModelSpec) => boolean;
}

export interface ArchitectureDescription {
  /**
   * The prefix of every tensor name in a checkpoint of this architecture, read from its names (GPT-2
   * is saved as `transformer.h.0…` from GPT2LMHeadModel and `h.0…` from GPT2Model).
   */
  checkpointPrefix: (names: readonly string[]) => string;
  /** The prefix the transformers model gives its modules, which PEFT names them by. */
  modulePrefix: string;
  embed: string;
  /** Learned absolute positions; null when positions are rotary. */
  positions: string | null;
  /** Block i's module path, without the prefix. */
  block: (i: number) => string;
  /** The norms before attention and before the MLP (in a block), and after the last block. */
  norms: { attention: string; mlp: string; final: string };
  /** Norms with a bias (LayerNorm) or without (RMSNorm). */
  normBias: boolean;
  linears: readonly LinearDescription[];
  /** q, k and v come from one projection (`attn.qkv`) whose output the engine splits by columns. */
  fusedQkv: boolean;
  /** Linear weights are stored [in, out] (Conv1D): transposed at load, and PEFT's fan_in_fan_out. */
  conv1d: boolean;
}

const q = (s: ModelSpec) => s.heads * s.headDim;
const kv = (s: ModelSpec) => s.kvHeads * s.headDim;
const C = (s: ModelSpec) => s.hiddenSize;
const F = (s: ModelSpec) => s.intermediateSize;
const qkvBias = (s: ModelSpec) => s.qkvBias;
const projBias = (s: ModelSpec) => s.projBias;
const always = () => true;

/** LlamaForCausalLM and Qwen2ForCausalLM: separate q, k, v with grouped-query heads; SwiGLU MLP. */
const LLAMA: ArchitectureDescription = {
  checkpointPrefix: () => 'model.',
  modulePrefix: 'model.',
  embed: 'embed_tokens',
  positions: null,
  block: (i) => `layers.${i}`,
  norms: { attention: 'input_layernorm', mlp: 'post_attention_layernorm', final: 'norm' },
  normBias: false,
  linears: [
    { kind: 'attn.q', module: 'self_attn.q_proj', out: q, in: C, bias: qkvBias },
    { kind: 'attn.k', module: 'self_attn.k_proj', out: kv, in: C, bias: qkvBias },
    { kind: 'attn.v', module: 'self_attn.v_proj', out: kv, in: C, bias: qkvBias },
    { kind: 'attn.o', module: 'self_attn.o_proj', out: C, in: q, bias: projBias },
    { kind: 'mlp.gate', module: 'mlp.gate_proj', out: F, in: C, bias: projBias },
    { kind: 'mlp.up', module: 'mlp.up_proj', out: F, in: C, bias: projBias },
    { kind: 'mlp.down', module: 'mlp.down_proj', out: C, in: F, bias: projBias },
  ],
  fusedQkv: false,
  conv1d: false,
};

/** GPT2LMHeadModel: one fused c_attn projection, learned positions, LayerNorm, GELU MLP, Conv1D weights. */
const GPT2: ArchitectureDescription = {
  checkpointPrefix: (names) => {
    if (names.includes('transformer.wte.weight')) return 'transformer.';
    if (names.includes('wte.weight')) return '';
    throw new ModelFormatError('checkpoint', 'no GPT-2 token embedding (transformer.wte.weight or wte.weight)');
  },
  modulePrefix: 'transformer.',
  embed: 'wte',
  positions: 'wpe',
  block: (i) => `h.${i}`,
  norms: { attention: 'ln_1', mlp: 'ln_2', final: 'ln_f' },
  normBias: true,
  linears: [
    { kind: 'attn.qkv', module: 'attn.c_attn', out: (s) => 3 * C(s), in: C, bias: always },
    { kind: 'attn.o', module: 'attn.c_proj', out: C, in: C, bias: always },
    { kind: 'mlp.fc', module: 'mlp.c_fc', out: F, in: C, bias: always },
    { kind: 'mlp.proj', module: 'mlp.c_proj', out: C, in: F, bias: always },
  ],
  fusedQkv: true,
  conv1d: true,
};

export const ARCHITECTURES: Record<Architecture, ArchitectureDescription> = { llama: LLAMA, qwen2: LLAMA, gpt2: GPT2 };

export function architectureOf(spec: Pick<ModelSpec, 'architecture'>): ArchitectureDescription {
  return ARCHITECTURES[spec.architecture];
}
