// Loads a committed tiny model (test/fixtures/<name>) as the engine and the reference see it.

import { join } from 'node:path';
import { openModel, type OpenedModel } from '../../src/model/load';
import { nodeModelFiles } from '../../src/model/node-files';
import { readWeights } from '../../src/model/weights';

export const FIXTURES = ['smollm2', 'smollm2-bf16', 'qwen2', 'llama32', 'gpt2', 'gpt2-noprefix'] as const;

export function fixturePath(name: string): string {
  return join(import.meta.dirname, '..', 'fixtures', name);
}

export async function loadFixture(name: string): Promise<{ model: OpenedModel; weights: Map<string, Float32Array> }> {
  const model = await openModel(await nodeModelFiles(fixturePath(name)));
  const weights = new Map<string, Float32Array>();
  for await (const { entry, data } of readWeights(model.checkpoint, model.entries)) weights.set(entry.name, data);
  return { model, weights };
}
