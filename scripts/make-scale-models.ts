// Writes random-weight checkpoints with the exact Hugging Face hub layout of SmolLM2-135M,
// Qwen2.5-0.5B and Llama-3.2-1B (./scale-models.ts), one folder per model under --out:
//
//   npx tsx scripts/make-scale-models.ts --out DIR [--only smollm2-135m,qwen2.5-0.5b,llama3.2-1b]
//       [--shard-size MB] [--seed N] [--shrink]
//
// Each folder loads like the real model's (`npm run -s gora -- finetune --model DIR/smollm2-135m ...`).

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SHARD_BYTES, SCALE_MODELS, isScaleModel, writeScaleModel } from './scale-models';

const { values } = parseArgs({
  options: { out: { type: 'string' }, only: { type: 'string' }, 'shard-size': { type: 'string' }, seed: { type: 'string' }, shrink: { type: 'boolean' } },
  strict: true,
});
if (!values.out) {
  console.error('usage: npx tsx scripts/make-scale-models.ts --out DIR [--only smollm2-135m,qwen2.5-0.5b,llama3.2-1b] [--shard-size MB] [--seed N] [--shrink]');
  process.exit(2);
}
const names = values.only ? values.only.split(',').map((n) => n.trim()) : [...SCALE_MODELS];
for (const name of names) {
  if (!isScaleModel(name)) {
    console.error(`unknown model ${name} (known: ${SCALE_MODELS.join(', ')})`);
    process.exit(2);
  }
}
const shardBytes = values['shard-size'] ? Number(values['shard-size']) * 1e6 : DEFAULT_SHARD_BYTES;
const seed = values.seed ? Number(values.seed) : 0;
if (!(shardBytes > 0) || !Number.isInteger(seed)) {
  console.error('--shard-size must be a positive number of MB and --seed an integer');
  process.exit(2);
}
for (const name of names.filter(isScaleModel)) {
  const written = writeScaleModel(join(values.out, name), name, { shardBytes, seed, shrink: values.shrink });
  const mb = written.totalBytes / 1e6;
  console.log(`${name}: ${mb.toFixed(0)} MB in ${written.shards.length} shards, ${written.seconds.toFixed(1)} s (${(mb / written.seconds).toFixed(0)} MB/s) -> ${written.dir}`);
}
