// Workgroup-count helpers shared by every kernel wrapper.

export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/**
 * Workgroups for a 1-D kernel over `n` items with `perGroup` items per workgroup. Past the
 * 65,535-per-dimension limit the grid folds into y; kernels recover the flat index as
 * `gid.x + gid.y * (num_workgroups.x * WG)` and skip indices >= n.
 */
export function grid1d(n: number, perGroup: number, maxPerDim = 65535): [number, number, number] {
  const groups = ceilDiv(n, perGroup);
  if (groups <= maxPerDim) return [Math.max(groups, 1), 1, 1];
  const y = ceilDiv(groups, maxPerDim);
  return [ceilDiv(groups, y), y, 1];
}
