// Shared by the model tests: the committed fixtures as in-memory folders that a test can alter.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

export function fixtureFiles(name: string): Map<string, Uint8Array<ArrayBuffer>> {
  const dir = join(FIXTURES, name);
  return new Map(readdirSync(dir).map((file) => [file, new Uint8Array(readFileSync(join(dir, file)))]));
}

export function fixtureJson(name: string, file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name, file), 'utf8')) as Record<string, unknown>;
}

export function jsonBytes(value: unknown): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(JSON.stringify(value));
}
