// Byte counts for people. What a run will allocate is counted by src/train/memory-estimate.ts, a dry
// run of the job's allocation on a counting GPU.

/** 1536 → "1.5 KiB": binary units, one decimal. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
