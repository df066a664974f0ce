// Hugging Face PEFT's LoRA adapter format (docs/gora.md §10): adapter_model.safetensors with
// `base_model.model.<module>.lora_A.weight` [r, in] and `.lora_B.weight` [out, r], and
// adapter_config.json with per-layer ranks in rank_pattern, loadable by PeftModel.from_pretrained.
//
// PEFT's scale per module is lora_alpha / √r (use_rslora) or lora_alpha / r, where r and lora_alpha
// are the module's entries of rank_pattern and alpha_pattern (falling back to r and lora_alpha).
// Every adapter carries its own scale s; a module whose s differs from what (lora_alpha, its rank)
// gives gets alpha_pattern[module] = s·√rank (or s·rank), so PEFT applies exactly s.
//
// LoRA-GA and PiSSA train on W' = W − s·B₀A₀, so the trained model is W' + s·B·A = W + s·(B·A − B₀A₀).
// Relative to the ORIGINAL W (what anyone loading the adapter has) that is one rank-2r adapter with
//     A' = [A; A₀]  [2r, in],   B' = [B, −B₀]  [out, 2r],   B'·A' = B·A − B₀·A₀,
// at the same s (withInitialSubtracted); its alpha_pattern entry keeps s despite the doubled rank.

import type { LinearTarget } from '../model/spec';
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
  /** s; when absent, the one lora_alpha and use_rslora give at this rank. */
  scale?: number;
}

export interface PeftExport {
  targets: readonly LinearTarget[];
  /** PEFT's task: a decoder-only model's CAUSAL_LM (the default), or SEQ_2_SEQ_LM for T5. */
  taskType?: 'CAUSAL_LM' | 'SEQ_2_SEQ_LM';
  /** By target name (`layers.3.attn.q`); a target without an entry is not adapted. */
  adapters: ReadonlyMap<string, AdapterTensors>;
  /** s = α/√r (rsLoRA, GoRA, LoRA-GA) or α/r (LoRA, PiSSA). */
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
    task_type: e.taskType ?? 'CAUSAL_LM',
    base_model_name_or_path: e.baseModel,
    r: e.rankRef,
    lora_alpha: e.alpha,
    use_rslora: e.rsLora,
    target_modules: targetModules,
    rank_pattern: Object.fromEntries(adapted.map((t) => [t.module, e.adapters.get(t.name)!.rank])),
    alpha_pattern: alphaPattern(adapted, e),
    // Conv1D layers (GPT-2) store [in, out]: PEFT must know to transpose.
    fan_in_fan_out: adapted.some((t) => t.conv1d),
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

/**
 * alpha_pattern: for each module whose own scale s differs from what lora_alpha gives at its rank,
 * the alpha that gives s (s·√rank with use_rslora, s·rank without).
 */
function alphaPattern(adapted: readonly LinearTarget[], e: PeftExport): Record<string, number> {
  const pattern: Record<string, number> = {};
  for (const t of adapted) {
    const a = e.adapters.get(t.name)!;
    if (a.scale === undefined) continue;
    const alpha = a.scale * (e.rsLora ? Math.sqrt(a.rank) : a.rank);
    // Up to the rounding of s = α/√r and back, lora_alpha already gives it.
    if (Math.abs(alpha - e.alpha) > 1e-9 * e.alpha) pattern[t.module] = alpha;
  }
  return pattern;
}

export interface LoadedAdapter extends AdapterTensors {
  scale: number;
}

/**
 * The trained adapters relative to the original W when training ran on W − s·B₀A₀ (LoRA-GA, PiSSA):
 * A' = [A; A₀], B' = [B, −B₀] at rank 2r with the same scale s.
 */
export function withInitialSubtracted(trained: ReadonlyMap<string, AdapterTensors & { scale: number }>, initial: ReadonlyMap<string, AdapterTensors & { scale: number }>): Map<string, AdapterTensors & { scale: number }> {
  const out = new Map<string, AdapterTensors & { scale: number }>();
  for (const [name, a] of trained) {
    const a0 = initial.get(name);
    if (!a0) throw new Error(`no initial adapter for ${name}`);
    if (a0.rank !== a.rank || a0.scale !== a.scale || a0.A.length !== a.A.length || a0.B.length !== a.B.length) throw new Error(`the initial and trained adapters of ${name} differ in shape or scale`);
    const r = a.rank;
    const m = a.B.length / r;
    const A = new Float32Array(2 * a.A.length);
    A.set(a.A, 0);
    A.set(a0.A, a.A.length);
    const B = new Float32Array(2 * a.B.length);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < r; j++) {
        B[i * 2 * r + j] = a.B[i * r + j];
        B[i * 2 * r + r + j] = -a0.B[i * r + j];
      }
    }
    out.set(name, { rank: 2 * r, scale: a.scale, A, B });
  }
  return out;
}

/** Reads an exported adapter back, by target name, with each layer's scale from the config. */
export async function readPeftAdapter(weights: Uint8Array, configText: string, targets: readonly LinearTarget[]): Promise<Map<string, LoadedAdapter>> {
  let config: { lora_alpha?: unknown; use_rslora?: unknown; r?: unknown; rank_pattern?: Record<string, unknown>; alpha_pattern?: Record<string, unknown> };
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
    const alpha = patternValue(config.alpha_pattern, t.module) ?? config.lora_alpha;
    if (typeof alpha !== 'number' || !(alpha > 0)) throw new ModelFormatError(ADAPTER_CONFIG, `alpha_pattern gives ${t.module} the alpha ${JSON.stringify(alpha)}, not a number > 0`);
    const scale = config.use_rslora === true ? alpha / Math.sqrt(rank) : alpha / rank;
    adapters.set(t.name, { rank, A, B, scale });
  }
  if (adapters.size === 0) throw new ModelFormatError(ADAPTER_WEIGHTS, 'holds no LoRA tensors for this model\'s layers');
  return adapters;
}

/** PEFT's rule (peft.utils.other.get_pattern_key): the first key k with re.match(rf"(.*\.)?({k})$", module). */
function patternValue(pattern: Record<string, unknown> | undefined, module: string): unknown {
  if (!pattern || typeof pattern !== 'object') return undefined;
  const key = Object.keys(pattern).find((k) => {
    try {
      return new RegExp(`^(.*\\.)?(${k})$`).test(module);
    } catch {
      return k === module;
    }
  });
  return key === undefined ? undefined : pattern[key];
}
