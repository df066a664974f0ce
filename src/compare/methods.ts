// The methods a comparison can run, as train/config.ts lists them, with the short names tables,
// legends and buttons show.

import { METHODS, METHOD_IDS, type Method } from '../train/config';

export const METHOD_NAMES: readonly Method[] = METHOD_IDS;

/** The name before the description's colon ("GoRA: ranks from …" → "GoRA"). */
export function methodLabel(method: string): string {
  const description = METHODS.find((m) => m.id === method)?.description;
  const colon = description?.indexOf(':') ?? -1;
  return description && colon > 0 ? description.slice(0, colon) : method;
}

/** The description after the short name. */
export function methodDescription(method: string): string {
  const description = METHODS.find((m) => m.id === method)?.description ?? '';
  return description.slice(description.indexOf(':') + 1).trim();
}

/**
 * Parses a comma-separated list of method names (`gora,lora`), refusing unknown and repeated names
 * with a message that lists the valid ones.
 */
export function parseMethods(text: string): Method[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new RangeError(`--methods needs at least one method, one of ${METHOD_NAMES.join(', ')}`);
  const unknown = names.filter((n) => !METHOD_NAMES.includes(n as Method));
  if (unknown.length) throw new RangeError(`unknown method${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}: valid methods are ${METHOD_NAMES.join(', ')}`);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw new RangeError(`method "${repeated}" is listed twice in --methods`);
  return names as Method[];
}
