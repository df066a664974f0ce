// Checkpoint tensor names -> the engine's canonical weights (see ./spec.ts), and the linear layers an
// adapter may target, named as PEFT names them, both read from the architecture's description
// (./architectures.ts). A Conv1D weight (GPT-2) is stored [in, out] and transposed here to the
// engine's [out, in].

import type { Checkpoint } from './checkpoint';
import { ModelFormatError } from './errors';
import type { LinearTarget, ModelSpec, WeightEntry } from './spec';
import { architectureOf } from './architectures';

const CHECKPOINT = 'checkpoint';

/** Tensors a checkpoint may carry that are not parameters (causal-mask and rotary buffers). */
const BUFFERS = [/(^|\.)attn\.(masked_)?bias$/, /\.rotary_emb\.inv_freq$/];

/**
 * The engine's weights in load order (embeddings, then each layer, then the final norm and head),
 * with their checkpoint names. Refuses a checkpoint without the untied `lm_head.weight` the config
 * asks for, or with parameters the config does not account for (a config that does not match its
 * weights, e.g. attention biases under a config without them).
 */
export function weightEntries(spec: ModelSpec, checkpointNames: readonly string[]): WeightEntry[] {
  const prefix = architectureOf(spec).checkpointPrefix(checkpointNames);
  // Every layer needs several tensors, so more layers than tensors can never match. Checked before
  // the entries are built layer by layer: a num_hidden_layers of 2^31 would otherwise exhaust memory
  // before any name is compared.
  if (spec.layers > checkpointNames.length) {
    throw new ModelFormatError(CHECKPOINT, `holds ${checkpointNames.length} tensors, too few for the ${spec.layers} layers config.json declares`);
  }
  const entries = describedEntries(spec, prefix);
  if (!spec.tiedEmbeddings && !checkpointNames.includes('lm_head.weight')) {
    throw new ModelFormatError(CHECKPOINT, 'config.json says tie_word_embeddings is false, but there is no lm_head.weight');
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
 * The weights a checkpoint of this spec holds, from the spec alone (with the tensor names of the
 * transformers model that saves them, e.g. GPT2LMHeadModel's `transformer.`): what the memory plan
 * counts before any checkpoint is opened.
 */
export function specEntries(spec: ModelSpec): WeightEntry[] {
  return describedEntries(spec, architectureOf(spec).modulePrefix);
}

function entry(name: string, hfName: string, shape: number[], transposed = false): WeightEntry {
  return { name, hfName, shape, transposed };
}

/** Every weight the architecture's description names, under the checkpoint prefix `prefix`. */
function describedEntries(spec: ModelSpec, prefix: string): WeightEntry[] {
  const arch = architectureOf(spec);
  const hidden = spec.hiddenSize;
  const out = [entry('embed', `${prefix}${arch.embed}.weight`, [spec.vocabSize, hidden])];
  if (arch.positions) out.push(entry('pos_embed', `${prefix}${arch.positions}.weight`, [spec.maxPositions, hidden]));
  const norm = (name: string, hf: string): void => {
    out.push(entry(`${name}.weight`, `${hf}.weight`, [hidden]));
    if (arch.normBias) out.push(entry(`${name}.bias`, `${hf}.bias`, [hidden]));
  };
  for (let i = 0; i < spec.layers; i++) {
    const hf = `${prefix}${arch.block(i)}`;
    const at = `layers.${i}`;
    // Each norm comes before the linears it feeds: norm1, attention, norm2, MLP.
    for (const [norm1or2, group, hfNorm] of [['norm1', 'attn.', arch.norms.attention], ['norm2', 'mlp.', arch.norms.mlp]] as const) {
      norm(`${at}.${norm1or2}`, `${hf}.${hfNorm}`);
      for (const linear of arch.linears.filter((l) => l.kind.startsWith(group))) {
        const [rows, cols] = [linear.out(spec), linear.in(spec)];
        out.push(entry(`${at}.${linear.kind}.weight`, `${hf}.${linear.module}.weight`, [rows, cols], arch.conv1d));
        if (linear.bias(spec)) out.push(entry(`${at}.${linear.kind}.bias`, `${hf}.${linear.module}.bias`, [rows]));
      }
    }
  }
  norm('final_norm', `${prefix}${arch.norms.final}`);
  if (!spec.tiedEmbeddings) out.push(entry('lm_head', 'lm_head.weight', [spec.vocabSize, hidden]));
  return out;
}

/**
 * Every linear layer of every block, in layer order, with its PEFT module name (the attribute path
 * in the transformers model, e.g. `model.layers.3.self_attn.q_proj`; GPT2LMHeadModel holds GPT2Model
 * as `transformer`, so GPT-2 modules are `transformer.h.{i}…` whatever the checkpoint's tensor
 * names). `prefix` is prepended to each module name, e.g. `base_model.model.` as in PEFT's saved
 * adapter keys.
 */
export function linearTargets(spec: ModelSpec, prefix = ''): LinearTarget[] {
  const arch = architectureOf(spec);
  const targets: LinearTarget[] = [];
  for (let i = 0; i < spec.layers; i++) {
    for (const linear of arch.linears) {
      const module = `${prefix}${arch.modulePrefix}${arch.block(i)}.${linear.module}`;
      const shortName = module.slice(module.lastIndexOf('.') + 1);
      targets.push({ name: `layers.${i}.${linear.kind}`, module, shortName, out: linear.out(spec), in: linear.in(spec), hasBias: linear.bias(spec), conv1d: arch.conv1d });
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
