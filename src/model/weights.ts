// Checkpoint tensor names -> the engine's canonical weights (see ./spec.ts), and the linear layers an
// adapter may target, named as PEFT names them. Llama and Qwen2 follow transformers'
// modeling_llama.py / modeling_qwen2.py; GPT-2 follows modeling_gpt2.py, whose Conv1D stores its
// weight as [in, out] and is transposed here to the engine's [out, in].

import type { Checkpoint } from './checkpoint';
import { ModelFormatError } from './errors';
import type { LinearTarget, ModelSpec, WeightEntry } from './spec';

const CHECKPOINT = 'checkpoint';

/** Tensors a checkpoint may carry that are not parameters (causal-mask and rotary buffers). */
const BUFFERS = [/(^|\.)attn\.(masked_)?bias$/, /\.rotary_emb\.inv_freq$/];

/** GPT-2 tensors are `transformer.h.0...` when saved from GPT2LMHeadModel, `h.0...` from GPT2Model. */
export function gpt2Prefix(checkpointNames: readonly string[]): string {
  if (checkpointNames.includes('transformer.wte.weight')) return 'transformer.';
  if (checkpointNames.includes('wte.weight')) return '';
  throw new ModelFormatError(CHECKPOINT, 'no GPT-2 token embedding (transformer.wte.weight or wte.weight)');
}

/**
 * The engine's weights in load order (embeddings, then each layer, then the final norm and head),
 * with their checkpoint names. Refuses a checkpoint without the untied `lm_head.weight` the config
 * asks for, or with parameters the config does not account for (a config that does not match its
 * weights, e.g. attention biases under a config without them).
 */
export function weightEntries(spec: ModelSpec, checkpointNames: readonly string[]): WeightEntry[] {
  const prefix = spec.architecture === 'gpt2' ? gpt2Prefix(checkpointNames) : null;
  // Every layer needs several tensors, so more layers than tensors can never match. Checked before
  // the entries are built layer by layer: a num_hidden_layers of 2^31 would otherwise exhaust memory
  // before any name is compared.
  if (spec.layers > checkpointNames.length) {
    throw new ModelFormatError(CHECKPOINT, `holds ${checkpointNames.length} tensors, too few for the ${spec.layers} layers config.json declares`);
  }
  const entries = prefix === null ? llamaEntries(spec) : gpt2Entries(spec, prefix);
  if (!spec.tiedEmbeddings) {
    if (!checkpointNames.includes('lm_head.weight')) {
      throw new ModelFormatError(CHECKPOINT, 'config.json says tie_word_embeddings is false, but there is no lm_head.weight');
    }
    entries.push(entry('lm_head', 'lm_head.weight', [spec.vocabSize, spec.hiddenSize]));
  }
  const used = new Set(entries.map((e) => e.hfName));
  const unexpected = checkpointNames.filter(
    (name) => !used.has(name) && !BUFFERS.some((pattern) => pattern.test(name)) && !(spec.tiedEmbeddings && name === 'lm_head.weight'),
  );
  if (unexpected.length > 0) {
    const shown = unexpected.slice(0, 5).join(', ') + (unexpected.length > 5 ? `, ... (${unexpected.length} in all)` : '');
    throw new ModelFormatError(CHECKPOINT, `has tensors that config.json (model_type ${spec.modelType}) does not account for: ${shown}`);
  }
  return entries;
}

/**
 * The weights a checkpoint of this spec holds, from the spec alone (GPT-2 with GPT2LMHeadModel's
 * `transformer.` names): what the memory plan counts before any checkpoint is opened.
 */
export function specEntries(spec: ModelSpec): WeightEntry[] {
  const entries = spec.architecture === 'gpt2' ? gpt2Entries(spec, 'transformer.') : llamaEntries(spec);
  if (!spec.tiedEmbeddings) entries.push(entry('lm_head', 'lm_head.weight', [spec.vocabSize, spec.hiddenSize]));
  return entries;
}

function entry(name: string, hfName: string, shape: number[], transposed = false): WeightEntry {
  return { name, hfName, shape, transposed };
}

function llamaEntries(spec: ModelSpec): WeightEntry[] {
  const { hiddenSize: C, intermediateSize: F, heads, kvHeads, headDim: D } = spec;
  const out = [entry('embed', 'model.embed_tokens.weight', [spec.vocabSize, C])];
  for (let i = 0; i < spec.layers; i++) {
    const hf = `model.layers.${i}`;
    const at = `layers.${i}`;
    out.push(entry(`${at}.norm1.weight`, `${hf}.input_layernorm.weight`, [C]));
    for (const [p, rows] of [['q', heads * D], ['k', kvHeads * D], ['v', kvHeads * D]] as const) {
      out.push(entry(`${at}.attn.${p}.weight`, `${hf}.self_attn.${p}_proj.weight`, [rows, C]));
      if (spec.qkvBias) out.push(entry(`${at}.attn.${p}.bias`, `${hf}.self_attn.${p}_proj.bias`, [rows]));
    }
    out.push(entry(`${at}.attn.o.weight`, `${hf}.self_attn.o_proj.weight`, [C, heads * D]));
    out.push(entry(`${at}.norm2.weight`, `${hf}.post_attention_layernorm.weight`, [C]));
    out.push(entry(`${at}.mlp.gate.weight`, `${hf}.mlp.gate_proj.weight`, [F, C]));
    out.push(entry(`${at}.mlp.up.weight`, `${hf}.mlp.up_proj.weight`, [F, C]));
    out.push(entry(`${at}.mlp.down.weight`, `${hf}.mlp.down_proj.weight`, [C, F]));
  }
  out.push(entry('final_norm.weight', 'model.norm.weight', [C]));
  return out;
}

function gpt2Entries(spec: ModelSpec, prefix: string): WeightEntry[] {
  const { hiddenSize: C, intermediateSize: F } = spec;
  const out = [entry('embed', `${prefix}wte.weight`, [spec.vocabSize, C]), entry('pos_embed', `${prefix}wpe.weight`, [spec.maxPositions, C])];
  const norm = (name: string, hf: string): void => {
    out.push(entry(`${name}.weight`, `${hf}.weight`, [C]), entry(`${name}.bias`, `${hf}.bias`, [C]));
  };
  // Conv1D: checkpoint weight [in, out], engine weight [out, in].
  const conv1d = (name: string, hf: string, outFeatures: number, inFeatures: number): void => {
    out.push(entry(`${name}.weight`, `${hf}.weight`, [outFeatures, inFeatures], true), entry(`${name}.bias`, `${hf}.bias`, [outFeatures]));
  };
  for (let i = 0; i < spec.layers; i++) {
    const hf = `${prefix}h.${i}`;
    const at = `layers.${i}`;
    norm(`${at}.norm1`, `${hf}.ln_1`);
    conv1d(`${at}.attn.qkv`, `${hf}.attn.c_attn`, 3 * C, C);
    conv1d(`${at}.attn.o`, `${hf}.attn.c_proj`, C, C);
    norm(`${at}.norm2`, `${hf}.ln_2`);
    conv1d(`${at}.mlp.fc`, `${hf}.mlp.c_fc`, F, C);
    conv1d(`${at}.mlp.proj`, `${hf}.mlp.c_proj`, C, F);
  }
  norm('final_norm', `${prefix}ln_f`);
  return out;
}

/**
 * Every linear layer of every block, in layer order, with its PEFT module name (the attribute path
 * in the transformers model; GPT2LMHeadModel holds GPT2Model as `transformer`, so GPT-2 modules are
 * always `transformer.h.{i}...` whatever the checkpoint's tensor names). `prefix` is prepended to
 * each module name, e.g. `base_model.model.` as in PEFT's saved adapter keys.
 */
export function linearTargets(spec: ModelSpec, prefix = ''): LinearTarget[] {
  const { hiddenSize: C, intermediateSize: F, heads, kvHeads, headDim: D } = spec;
  const targets: LinearTarget[] = [];
  const add = (name: string, module: string, out: number, inFeatures: number, hasBias: boolean, conv1d: boolean): void => {
    const shortName = module.slice(module.lastIndexOf('.') + 1);
    targets.push({ name, module: prefix + module, shortName, out, in: inFeatures, hasBias, conv1d });
  };
  for (let i = 0; i < spec.layers; i++) {
    const at = `layers.${i}`;
    if (spec.architecture === 'gpt2') {
      const hf = `transformer.h.${i}`;
      add(`${at}.attn.qkv`, `${hf}.attn.c_attn`, 3 * C, C, true, true);
      add(`${at}.attn.o`, `${hf}.attn.c_proj`, C, C, true, true);
      add(`${at}.mlp.fc`, `${hf}.mlp.c_fc`, F, C, true, true);
      add(`${at}.mlp.proj`, `${hf}.mlp.c_proj`, C, F, true, true);
    } else {
      const hf = `model.layers.${i}`;
      add(`${at}.attn.q`, `${hf}.self_attn.q_proj`, heads * D, C, spec.qkvBias, false);
      add(`${at}.attn.k`, `${hf}.self_attn.k_proj`, kvHeads * D, C, spec.qkvBias, false);
      add(`${at}.attn.v`, `${hf}.self_attn.v_proj`, kvHeads * D, C, spec.qkvBias, false);
      add(`${at}.attn.o`, `${hf}.self_attn.o_proj`, C, heads * D, false, false);
      add(`${at}.mlp.gate`, `${hf}.mlp.gate_proj`, F, C, false, false);
      add(`${at}.mlp.up`, `${hf}.mlp.up_proj`, F, C, false, false);
      add(`${at}.mlp.down`, `${hf}.mlp.down_proj`, C, F, false, false);
    }
  }
  return targets;
}

/** The shape the checkpoint must store for an entry. */
export function checkpointShape(entry: WeightEntry): number[] {
  return entry.transposed ? [entry.shape[1], entry.shape[0]] : [...entry.shape];
}

/** Refuses a missing tensor or one whose stored shape is not what config.json implies. */
export function checkShapes(checkpoint: Checkpoint, entries: readonly WeightEntry[]): void {
  for (const e of entries) {
    if (!checkpoint.has(e.hfName)) throw new ModelFormatError(CHECKPOINT, `tensor "${e.hfName}" (${e.name}) is missing`);
    const stored = checkpoint.tensor(e.hfName);
    const want = checkpointShape(e);
    if (stored.shape.length !== want.length || stored.shape.some((d, k) => d !== want[k])) {
      throw new ModelFormatError(
        stored.file,
        `tensor "${e.hfName}" has shape [${stored.shape.join(', ')}] but config.json implies [${want.join(', ')}]`,
      );
    }
  }
}

/**
 * Yields the weights one tensor at a time as Float32Array in the engine's layout ([out, in]; GPT-2
 * Conv1D weights transposed), after checking every shape first so a mismatch fails before any load.
 */
export async function* readWeights(
  checkpoint: Checkpoint,
  entries: readonly WeightEntry[],
): AsyncGenerator<{ entry: WeightEntry; data: Float32Array }> {
  checkShapes(checkpoint, entries);
  for (const e of entries) {
    const stored = await checkpoint.readFloats(e.hfName);
    yield { entry: e, data: e.transposed ? transpose(stored, e.shape[1], e.shape[0]) : stored };
  }
}

/** [rows, cols] -> [cols, rows]. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
