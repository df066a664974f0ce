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

/** --gamma: a number ≥ 0, or `auto` for GoRA's adaptive γ (GORA.md Phase 4). */
export function gammaFlag(values: Record<string, unknown>, fallback: number): number | 'auto' {
  if (values.gamma === 'auto') return 'auto';
  const raw = values.gamma;
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--gamma must be a number or "auto", got "${String(raw)}"`);
  return value;
}
