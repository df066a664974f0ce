// What the CLI uses when --model or --data is not given: the built-in model and sample data that
// ship with the app (public/), so `finetune` works offline with no arguments.

import { fileURLToPath } from 'node:url';

export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../public/models/gora-tiny', import.meta.url));
export const DEFAULT_DATA_FILE = fileURLToPath(new URL('../../public/datasets/sentiment.jsonl', import.meta.url));

export function modelOrDefault(values: Record<string, unknown>): string {
  return typeof values.model === 'string' && values.model !== '' ? values.model : DEFAULT_MODEL_DIR;
}

export function dataOrDefault(values: Record<string, unknown>): string {
  return typeof values.data === 'string' && values.data !== '' ? values.data : DEFAULT_DATA_FILE;
}
