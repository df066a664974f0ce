// Central finite differences, for checking a CPU reference's backward pass (run in f64).

import { expect } from 'vitest';

/**
 * Checks `analytic` (∂f/∂x at x) against (f(x+h) − f(x−h)) / 2h at `samples` coordinates spread over
 * x (all of them when x is small). Restores x. Prints and asserts the largest relative error.
 */
export function expectGradient(
  name: string,
  f: () => number,
  x: Float64Array,
  analytic: ArrayLike<number>,
  options: { h?: number; tolerance?: number; samples?: number } = {},
): void {
  const h = options.h ?? 1e-5;
  const tolerance = options.tolerance ?? 1e-6;
  const samples = Math.min(x.length, options.samples ?? 64);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < analytic.length; i++) scale = Math.max(scale, Math.abs(analytic[i]));
  for (let s = 0; s < samples; s++) {
    const i = samples === x.length ? s : Math.floor((s * x.length) / samples);
    const saved = x[i];
    x[i] = saved + h;
    const plus = f();
    x[i] = saved - h;
    const minus = f();
    x[i] = saved;
    const numeric = (plus - minus) / (2 * h);
    // Relative to the gradient's overall scale, so tiny components do not demand impossible precision.
    const error = Math.abs(numeric - analytic[i]) / Math.max(scale, 1e-12);
    if (!(error <= worst)) worst = Number.isNaN(error) ? Infinity : error;
  }
  console.log(`${worst <= tolerance ? 'ok  ' : 'FAIL'} ${name}: max relative |numeric − analytic| = ${worst.toExponential(2)} over ${samples} coordinates (tolerance ${tolerance.toExponential(1)})`);
  expect(worst, name).toBeLessThanOrEqual(tolerance);
}
