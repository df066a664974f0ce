// Learning-rate schedule of the training phase (docs/gora.md §7): linear warm-up over 3 % of the
// steps, then cosine decay to 0, or to a floor such as 0.1× as in the paper's Llama runs.
//
// Convention (exact): `step` is the 0-based index of the update (the AdamW step number t is step + 1),
// W = warmupSteps(totalSteps, warmupFraction) and peak = max(W − 1, 0).
//   step < W:    lr = baseLr · (step + 1) / W          — the first update already moves (baseLr / W),
//                                                        the W-th (step W − 1) reaches baseLr;
//   step ≥ W:    progress = (step − peak) / (totalSteps − 1 − peak)
//                lr = floor + (baseLr − floor) · (1 + cos(π · progress)) / 2,   floor = minRatio · baseLr
// so baseLr is used exactly once (at `peak`) and the last update (step totalSteps − 1) uses the floor.
// This differs from Hugging Face's get_cosine_schedule_with_warmup, whose first update uses lr 0 and
// whose decay reaches its end one step after the last update.
// When no step is left for the decay (a single step, or warm-up over every step), warm-up wins and
// the last step uses baseLr.

export interface ScheduleOptions {
  /** The peak learning rate (of the A matrices; LoRA+ multiplies it for B). */
  baseLr: number;
  /** Number of optimizer updates in the whole run. */
  totalSteps: number;
  /** Share of the steps spent warming up: 0.03 as in docs/gora.md §7; 0 starts at baseLr. */
  warmupFraction?: number;
  /** Where the cosine ends, as a fraction of baseLr: 0 (default) or e.g. 0.1. */
  minRatio?: number;
}

/** max(1, round(warmupFraction · totalSteps)), capped at totalSteps; 0 when warmupFraction is 0. */
export function warmupSteps(totalSteps: number, warmupFraction = 0.03): number {
  requireSteps(totalSteps);
  if (!(warmupFraction >= 0 && warmupFraction <= 1)) throw new RangeError(`warmupFraction must be in [0, 1], got ${warmupFraction}`);
  if (warmupFraction === 0) return 0;
  return Math.min(totalSteps, Math.max(1, Math.round(warmupFraction * totalSteps)));
}

/** The learning rate of update `step` (0-based, < totalSteps); see the convention above. */
export function learningRate(step: number, options: ScheduleOptions): number {
  const { baseLr, totalSteps, warmupFraction = 0.03, minRatio = 0 } = options;
  const warmup = warmupSteps(totalSteps, warmupFraction);
  if (!(Number.isFinite(baseLr) && baseLr >= 0)) throw new RangeError(`baseLr must be a finite number ≥ 0, got ${baseLr}`);
  if (!(minRatio >= 0 && minRatio <= 1)) throw new RangeError(`minRatio must be in [0, 1], got ${minRatio}`);
  if (!Number.isInteger(step) || step < 0 || step >= totalSteps) {
    throw new RangeError(`step must be an integer in [0, ${totalSteps}), got ${step}`);
  }
  if (step < warmup) return (baseLr * (step + 1)) / warmup;
  const peak = Math.max(warmup - 1, 0);
  const decaySteps = totalSteps - 1 - peak;
  if (decaySteps === 0) return baseLr;
  const progress = (step - peak) / decaySteps;
  const floor = minRatio * baseLr;
  return floor + ((baseLr - floor) * (1 + Math.cos(Math.PI * progress))) / 2;
}

function requireSteps(totalSteps: number): void {
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new RangeError(`totalSteps must be a positive integer, got ${totalSteps}`);
}
