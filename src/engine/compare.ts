// Compares a GPU result with its CPU reference: used by the kernel tests and the in-app self-test.

export interface Comparison {
  name: string;
  maxAbsError: number;
  tolerance: number;
  passed: boolean;
}

export function compareArrays(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number): Comparison {
  if (got.length !== want.length) {
    return { name: `${name} (length ${got.length} vs ${want.length})`, maxAbsError: Infinity, tolerance, passed: false };
  }
  let maxAbsError = 0;
  for (let i = 0; i < got.length; i++) {
    const error = Math.abs(got[i] - want[i]);
    // NaN must fail, so compare with a negated test.
    if (!(error <= maxAbsError)) maxAbsError = Number.isNaN(error) ? Infinity : error;
  }
  return { name, maxAbsError, tolerance, passed: maxAbsError <= tolerance };
}
