// The training methods and what sets them apart (docs/gora.md §9), apart from the settings
// table (settings.ts) so that the table can list them without importing the job's config.

import { isQuantised, type WeightFormat } from '../engine/weight-format';

/**
 * Every training method, with a one-line description for lists (the app, `gora compare`). The adapter
 * methods train A and B on frozen weights and differ in their initialisation and scale (docs/gora.md
 * §9); full trains every weight (the strongest baseline, docs/gora.md §9).
 */
export const METHODS = [
  { id: 'gora', description: 'GoRA: ranks from gradient importance, B₀ = one compressed gradient step (s = α/√r)' },
  { id: 'lora', description: 'LoRA: uniform rank, A Kaiming-uniform, B = 0, s = α/r' },
  { id: 'rslora', description: 'rsLoRA: LoRA with the rank-stabilised scale s = α/√r' },
  { id: 'lora-ga', description: 'LoRA-GA: A₀, B₀ from the SVD of the scan gradient, W offset so step 0 is unchanged (s = α/√r)' },
  { id: 'pissa', description: "PiSSA: A₀, B₀ from W's top singular triplets, W keeps the residual (s = α/r)" },
  { id: 'full', description: 'Full fine-tuning: every weight trainable' },
] as const satisfies ReadonlyArray<{ id: string; description: string }>;

export type Method = (typeof METHODS)[number]['id'];

export const METHOD_IDS: readonly Method[] = METHODS.map((m) => m.id);

/** Methods whose initialisation needs the gradient scan (docs/gora.md §2). */
export function needsScan(method: Method): boolean {
  return method === 'gora' || method === 'lora-ga';
}

/**
 * Methods that move part of W into the initial adapter (W ← W − s·B₀A₀), so that the exported
 * adapter must carry −s·B₀A₀ as well (src/export/peft.ts).
 */
export function modifiesBaseWeights(method: Method): boolean {
  return method === 'lora-ga' || method === 'pissa';
}

/**
 * s = α/√r (rsLoRA) or α/r. GoRA and rsLoRA use α/√r by definition; LoRA-GA's scale-stability
 * analysis (LoRA-GA §3.3) is made for α/√r; LoRA and PiSSA use PEFT's default α/r (PiSSA's
 * B₀A₀ is divided by s, so s changes only how fast it trains, not where it starts).
 */
export function usesRsLoraScale(method: Method): boolean {
  return method === 'gora' || method === 'rslora' || method === 'lora-ga';
}

/**
 * Why a method cannot run on weights stored in `format`, or null. Full fine-tuning updates every
 * weight by steps far below bf16's resolution (2⁻⁸ relative), so it keeps f32; LoRA-GA and PiSSA
 * rewrite W once (W ← W − s·B₀A₀), which a 16-bit format holds up to its rounding but a quantised
 * one cannot hold at all. The words are the app's (the setting's label, "Frozen weights").
 */
export function weightFormatProblem(method: Method, format: WeightFormat): string | null {
  if (method === 'full' && format !== 'f32') return `Full fine-tuning trains every weight and keeps them in f32: choose f32 for Frozen weights (or an adapter method to keep the frozen weights in ${format})`;
  if (modifiesBaseWeights(method) && isQuantised(format)) {
    return `${method === 'pissa' ? 'PiSSA' : 'LoRA-GA'} rewrites the frozen weights (W ← W − s·B₀A₀), which ${format} cannot hold: choose bf16, f16 or f32 for Frozen weights (or GoRA, LoRA or rsLoRA to keep ${format})`;
  }
  return null;
}
