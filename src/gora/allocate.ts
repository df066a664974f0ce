// GoRA Phase 2 and 3 (docs/gora.md §3, §4): advantages from importances, then ranks from a parameter budget.
// A pure function of (importances, shapes, settings), so changing r_ref, the bounds or the feature
// function re-allocates instantly from a stored scan.

export type FeatureFunction = 'id' | 'sqrt' | 'log1p';

export interface AllocationSettings {
  rankRef: number; // r_ref
  rankMin: number; // r_min
  rankMax: number; // r_max
  features: FeatureFunction; // f
}

/** The paper's settings (the reference code's f); a run's defaults are src/train/settings.ts's. */
export const DEFAULT_ALLOCATION: AllocationSettings = { rankRef: 8, rankMin: 4, rankMax: 32, features: 'id' };

export interface LayerImportance {
  /** PEFT module name, e.g. `model.layers.3.self_attn.q_proj`. */
  name: string;
  m: number; // out
  n: number; // in
  /** I = mean |W ⊙ G| */
  importance: number;
}

export interface LayerAllocation extends LayerImportance {
  /** a = I / Σ I */
  advantage: number;
  rank: number;
}

export interface Allocation {
  layers: LayerAllocation[];
  settings: AllocationSettings;
  /** r_ref · Σ f(m + n), in the feature function's units. */
  budget: number;
  /** What uniform LoRA at r_ref trains: r_ref · Σ (m + n). */
  targetParameters: number;
  /** What this allocation trains: Σ r (m + n). Nothing renormalises after clipping. */
  trainableParameters: number;
}

const FEATURES: Record<FeatureFunction, (x: number) => number> = { id: (x) => x, sqrt: Math.sqrt, log1p: Math.log1p };

export function allocateRanks(layers: readonly LayerImportance[], settings: AllocationSettings): Allocation {
  checkSettings(settings);
  if (layers.length === 0) throw new RangeError('no target layers to allocate ranks to');
  const total = layers.reduce((sum, l) => sum + l.importance, 0);
  const bad = layers.find((l) => !Number.isFinite(l.importance) || l.importance < 0);
  if (bad) throw new RangeError(`importance of ${bad.name} is ${bad.importance}: the gradient scan produced non-finite values`);
  if (!(total > 0)) throw new RangeError('every importance is zero: the scan batches carried no gradient (are all tokens masked?)');

  const f = FEATURES[settings.features];
  const budget = settings.rankRef * layers.reduce((sum, l) => sum + f(l.m + l.n), 0);
  const allocated = layers.map((l) => {
    const advantage = l.importance / total;
    const raw = Math.floor(Math.round(budget * advantage) / f(l.m + l.n));
    const rank = Math.min(settings.rankMax, Math.max(settings.rankMin, raw));
    return { ...l, advantage, rank };
  });
  return {
    layers: allocated,
    settings,
    budget,
    targetParameters: settings.rankRef * layers.reduce((sum, l) => sum + l.m + l.n, 0),
    trainableParameters: allocated.reduce((sum, l) => sum + l.rank * (l.m + l.n), 0),
  };
}

/** Why the allocation cannot run with `s`, in the app's words; null when it can. */
export function allocationProblem(s: AllocationSettings): string | null {
  for (const [name, value] of [['r_ref', s.rankRef], ['r_min', s.rankMin], ['r_max', s.rankMax]] as const) {
    if (!Number.isInteger(value) || value < 0) return `${name} must be a whole number ≥ 0, got ${value}`;
  }
  if (s.rankRef < 1) return `r_ref must be at least 1, got ${s.rankRef}`;
  if (s.rankMin > s.rankMax) return `r_min (${s.rankMin}) is above r_max (${s.rankMax})`;
  if (!(s.features in FEATURES)) return `the feature function must be id, sqrt or log1p, got ${s.features}`;
  return null;
}

function checkSettings(s: AllocationSettings): void {
  const problem = allocationProblem(s);
  if (problem) throw new RangeError(problem);
}
