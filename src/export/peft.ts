// Hugging Face PEFT's LoRA adapter format (GORA.md "Export"): adapter_model.safetensors with
// `base_model.model.<module>.lora_A.weight` [r, in] and `.lora_B.weight` [out, r], and
// adapter_config.json with per-layer ranks in rank_pattern, loadable by PeftModel.from_pretrained.

import type { LinearTarget, ModelSpec } from '../model/spec';
import { SafetensorsFile, writeSafetensors } from '../model/safetensors';
import { memorySource } from '../model/bytes';
import { ModelFormatError } from '../model/errors';

export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
export const ADAPTER_CONFIG = 'adapter_config.json';
const KEY_PREFIX = 'base_model.model.';

export interface AdapterTensors {
  rank: number;
  A: Float32Array; // [r, in]
  B: Float32Array; // [out, r]
}

export interface PeftExport {
  spec: ModelSpec;
  targets: readonly LinearTarget[];
  /** By target name (`layers.3.attn.q`); a target without an entry is not adapted. */
  adapters: ReadonlyMap<string, AdapterTensors>;
  /** s = α/√r (rsLoRA, GoRA) or α/r (plain LoRA). */
  rsLora: boolean;
  alpha: number;
  /** The config's `r`: r_ref for GoRA, the uniform rank for LoRA. */
  rankRef: number;
  baseModel: string;
}

export function peftAdapterFiles(e: PeftExport): { weights: Uint8Array; config: string } {
  const adapted = e.targets.filter((t) => e.adapters.has(t.name));
  if (adapted.length === 0) throw new RangeError('no adapters to export');
  const tensors = adapted.flatMap((t) => {
    const a = e.adapters.get(t.name)!;
    if (a.A.length !== a.rank * t.in || a.B.length !== t.out * a.rank) throw new RangeError(`adapter ${t.module} does not match its layer's shape`);
    return [
      { name: `${KEY_PREFIX}${t.module}.lora_A.weight`, dtype: 'F32' as const, shape: [a.rank, t.in], data: a.A },
      { name: `${KEY_PREFIX}${t.module}.lora_B.weight`, dtype: 'F32' as const, shape: [t.out, a.rank], data: a.B },
    ];
  });
  // Short names (q_proj, c_attn, …) adapt every layer; when some layer has no adapter (rank 0),
  // list the adapted modules by full name so PEFT does not add a default-rank adapter there.
  const everyLayer = adapted.length === e.targets.length;
  const targetModules = everyLayer ? [...new Set(adapted.map((t) => t.shortName))] : adapted.map((t) => t.module);
  const config = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: e.baseModel,
    r: e.rankRef,
    lora_alpha: e.alpha,
    use_rslora: e.rsLora,
    target_modules: targetModules,
    rank_pattern: Object.fromEntries(adapted.map((t) => [t.module, e.adapters.get(t.name)!.rank])),
    alpha_pattern: {},
    fan_in_fan_out: e.spec.architecture === 'gpt2',
    bias: 'none',
    lora_dropout: 0,
    init_lora_weights: true,
    modules_to_save: null,
    inference_mode: true,
    use_dora: false,
    layers_to_transform: null,
    layers_pattern: null,
    revision: null,
  };
  return { weights: writeSafetensors(tensors, { format: 'pt' }), config: JSON.stringify(config, null, 2) + '\n' };
}

export interface LoadedAdapter extends AdapterTensors {
  scale: number;
}

/** Reads an exported adapter back, by target name, with each layer's scale from the config. */
export async function readPeftAdapter(weights: Uint8Array, configText: string, targets: readonly LinearTarget[]): Promise<Map<string, LoadedAdapter>> {
  let config: { lora_alpha?: unknown; use_rslora?: unknown; r?: unknown; rank_pattern?: Record<string, unknown> };
  try {
    config = JSON.parse(configText);
  } catch (error) {
    throw new ModelFormatError(ADAPTER_CONFIG, `is not valid JSON (${(error as Error).message})`);
  }
  if (typeof config.lora_alpha !== 'number') throw new ModelFormatError(ADAPTER_CONFIG, 'lora_alpha is missing or not a number');
  const file = await SafetensorsFile.open(memorySource(ADAPTER_WEIGHTS, weights));
  const adapters = new Map<string, LoadedAdapter>();
  for (const t of targets) {
    const keyA = `${KEY_PREFIX}${t.module}.lora_A.weight`;
    if (!file.has(keyA)) continue;
    const [rank, inFeatures] = file.info(keyA).shape;
    if (inFeatures !== t.in) throw new ModelFormatError(ADAPTER_WEIGHTS, `${keyA} is [${rank}, ${inFeatures}], the layer takes ${t.in} inputs`);
    const A = await file.readFloats(keyA);
    const B = await file.readFloats(`${KEY_PREFIX}${t.module}.lora_B.weight`);
    if (B.length !== t.out * rank) throw new ModelFormatError(ADAPTER_WEIGHTS, `${t.module}.lora_B.weight does not have shape [${t.out}, ${rank}]`);
    const scale = config.use_rslora === true ? config.lora_alpha / Math.sqrt(rank) : config.lora_alpha / rank;
    adapters.set(t.name, { rank, A, B, scale });
  }
  if (adapters.size === 0) throw new ModelFormatError(ADAPTER_WEIGHTS, 'holds no LoRA tensors for this model\'s layers');
  return adapters;
}
