// Opens a T5 model folder (T5ForConditionalGeneration): config.json → T5Spec, the checkpoint's
// headers with every shape checked against the config, and the weights as f32 by their checkpoint
// names, which the GPU forward (src/engine/t5-model.ts) and the CPU reference read.

import { readJsonFile, type ModelFiles } from './bytes';
import { Checkpoint } from './checkpoint';
import { ModelFormatError } from './errors';
import { parseT5Config, type T5Spec } from './t5-config';
import type { LinearTarget } from './spec';
import { loadTokenizer, type Tokenizer } from './tokenizer';

export interface OpenedT5 {
  kind: 't5';
  config: Record<string, unknown>;
  spec: T5Spec;
  checkpoint: Checkpoint;
  /** Where the shared token embedding is stored (transformers saves one of its tied names). */
  embeddingName: string;
  /** Every linear layer an adapter may target (t5LinearTargets). */
  targets: LinearTarget[];
  /** null when the folder has no tokenizer.json. */
  tokenizer: Tokenizer | null;
}

/** Every tensor T5ForConditionalGeneration holds for this spec, with its shape (the embedding as `shared.weight`). */
export function t5TensorShapes(spec: T5Spec): Array<[name: string, shape: number[]]> {
  const { dModel: C, dKv: D, heads: H, dFF: F, vocabSize: V, buckets } = spec;
  const out: Array<[string, number[]]> = [['shared.weight', [V, C]]];
  const attention = (prefix: string) => {
    for (const p of ['q', 'k', 'v']) out.push([`${prefix}.${p}.weight`, [H * D, C]]);
    out.push([`${prefix}.o.weight`, [C, H * D]]);
  };
  const feedForward = (prefix: string) => {
    for (const wi of spec.feedForward === 'relu' ? ['wi'] : ['wi_0', 'wi_1']) out.push([`${prefix}.${wi}.weight`, [F, C]]);
    out.push([`${prefix}.wo.weight`, [C, F]]);
  };
  for (const [stack, layers] of [['encoder', spec.encoderLayers], ['decoder', spec.decoderLayers]] as const) {
    for (let l = 0; l < layers; l++) {
      const at = `${stack}.block.${l}.layer`;
      attention(`${at}.0.SelfAttention`);
      // The relative position bias lives in block 0 and is shared by the stack.
      if (l === 0) out.push([`${at}.0.SelfAttention.relative_attention_bias.weight`, [buckets, H]]);
      out.push([`${at}.0.layer_norm.weight`, [C]]);
      if (stack === 'decoder') {
        attention(`${at}.1.EncDecAttention`);
        out.push([`${at}.1.layer_norm.weight`, [C]]);
      }
      const ff = stack === 'encoder' ? 1 : 2;
      feedForward(`${at}.${ff}.DenseReluDense`);
      out.push([`${at}.${ff}.layer_norm.weight`, [C]]);
    }
    out.push([`${stack}.final_layer_norm.weight`, [C]]);
  }
  if (!spec.tiedEmbeddings) out.push(['lm_head.weight', [V, C]]);
  return out;
}

/** The embedding's tied names: a checkpoint stores it under one of them. */
const EMBEDDING_NAMES = ['shared.weight', 'encoder.embed_tokens.weight', 'decoder.embed_tokens.weight'];

export async function openT5(files: ModelFiles): Promise<OpenedT5> {
  const config = await readJsonFile(files, 'config.json');
  if (config === null) throw new ModelFormatError('config.json', 'not found: pick the model folder that holds config.json and the .safetensors weights');
  if ((config as Record<string, unknown>).model_type !== 't5') throw new ModelFormatError('config.json', `model_type ${JSON.stringify((config as Record<string, unknown>).model_type)} is not t5`);
  const spec = parseT5Config(config as Record<string, unknown>);
  const checkpoint = await Checkpoint.open(files);
  const embeddingName = EMBEDDING_NAMES.find((name) => checkpoint.has(name));
  if (!embeddingName) throw new ModelFormatError('checkpoint', `has no token embedding (${EMBEDDING_NAMES.join(', ')})`);
  const expected = t5TensorShapes(spec);
  for (const [name, shape] of expected) {
    const stored = name === 'shared.weight' ? embeddingName : name;
    if (!checkpoint.has(stored)) throw new ModelFormatError('checkpoint', `tensor "${stored}" is missing`);
    const have = checkpoint.tensor(stored).shape;
    if (have.length !== shape.length || have.some((d, i) => d !== shape[i])) throw new ModelFormatError('checkpoint', `tensor "${stored}" has shape [${have.join(', ')}] but config.json implies [${shape.join(', ')}]`);
  }
  // The embedding's other tied names, and a tied lm_head, may be saved as copies: nothing else.
  const known = new Set([...expected.map(([name]) => name), ...EMBEDDING_NAMES, ...(spec.tiedEmbeddings ? ['lm_head.weight'] : [])]);
  const unexpected = checkpoint.names().filter((name) => !known.has(name));
  if (unexpected.length > 0) throw new ModelFormatError('checkpoint', `has tensors that config.json (T5) does not account for: ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', …' : ''}`);
  const tokenizer = await loadTokenizer(files);
  if (tokenizer && tokenizer.vocabSize > spec.vocabSize) throw new ModelFormatError('tokenizer.json', `has token ids up to ${tokenizer.vocabSize - 1}, beyond config.json's vocab_size ${spec.vocabSize}: tokenizer and model do not match`);
  return { kind: 't5', config: config as Record<string, unknown>, spec, checkpoint, embeddingName, targets: t5LinearTargets(spec), tokenizer };
}

/** Every weight as f32, by the names t5TensorShapes gives. */
export async function readT5Weights(model: OpenedT5): Promise<Map<string, Float32Array>> {
  const weights = new Map<string, Float32Array>();
  for (const [name] of t5TensorShapes(model.spec)) weights.set(name, await model.checkpoint.readFloats(name === 'shared.weight' ? model.embeddingName : name));
  return weights;
}

/**
 * Every linear layer of both stacks an adapter may target — self-attention, cross-attention and
 * feed-forward (`q, k, v, o, wi` or `wi_0, wi_1, wo`) — named by its weight (`name`, as the model
 * and the reference hold adapters) and as PEFT names the module (`encoder.block.0.layer.0.SelfAttention.q`).
 */
export function t5LinearTargets(spec: T5Spec): LinearTarget[] {
  return t5TensorShapes(spec)
    .filter(([name, shape]) => shape.length === 2 && /\.(q|k|v|o|wi|wi_0|wi_1|wo)\.weight$/.test(name))
    .map(([name, [out, inFeatures]]) => {
      const module = name.slice(0, -'.weight'.length);
      return { name, module, shortName: module.slice(module.lastIndexOf('.') + 1), out, in: inFeatures, hasBias: false, conv1d: false };
    });
}
