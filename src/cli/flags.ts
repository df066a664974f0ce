// Flag values from node:util parseArgs (strings) to typed settings, with one-line errors.

import { UsageError } from './errors';

export function numberFlag(values: Record<string, unknown>, flag: string, fallback: number): number {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${flag} must be a number, got "${String(raw)}"`);
  return value;
}

export function choiceFlag<T extends string>(values: Record<string, unknown>, flag: string, choices: readonly T[], fallback: T): T {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  if (!choices.includes(raw as T)) throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got "${String(raw)}"`);
  return raw as T;
}

export function requiredFlag(values: Record<string, unknown>, flag: string, command: string): string {
  const raw = values[flag];
  if (typeof raw !== 'string' || raw === '') throw new UsageError(`${command} needs --${flag}`);
  return raw;
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, kb: 1e3, kib: 2 ** 10, m: 2 ** 20, mb: 1e6, mib: 2 ** 20, g: 2 ** 30, gb: 1e9, gib: 2 ** 30 };

/** A size such as "6GiB", "512MB", "1.5G" or "4000000" (bytes); null when the flag is absent. */
export function byteSizeFlag(values: Record<string, unknown>, flag: string): number | null {
  const raw = values[flag];
  if (raw === undefined) return null;
  const match = typeof raw === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw) : null;
  const unit = match ? BYTE_UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined || !(Number(match[1]) > 0)) throw new UsageError(`--${flag} must be a size such as 6GiB, 512MB or 1.5G, got "${String(raw)}"`);
  return Math.floor(Number(match[1]) * unit);
}
