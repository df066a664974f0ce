// Byte counts are written the same way in the app, the CLI and error messages.
import { formatBytes } from '../../engine/memory';

export { formatBytes };

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatCount(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)} k` : n.toLocaleString('en-US');
}

/** A run's GPU memory as the fold holds it (src/app/state/fold.ts RunState.memory). */
type RunMemory = { bytes: number; peak: number; estimate?: number; final?: boolean } | null;

/** While running: held now and the peak so far; after the run: the run's measured peak and the estimate. */
export function memoryText(memory: RunMemory): string {
  if (!memory) return '–';
  if (memory.final) return `peak ${formatBytes(memory.peak)}${memory.estimate ? ` (estimated ${formatBytes(memory.estimate)})` : ''}`;
  return `${formatBytes(memory.bytes)} (peak ${formatBytes(memory.peak)})`;
}
