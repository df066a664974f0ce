// Generation with the training-shaped model (no KV cache: each new token reruns the rows, which is
// cheap at the few dozen tokens shown for before/after comparisons). Up to B prompts run side by
// side, one per row; only each row's last logits row is read back. Greedy unless options.pick.

import type { Transformer } from './transformer';
import type { GenerateOptions } from './trainable';
import { argmax } from './sampling';

export async function generateTokens(model: Transformer, prompts: readonly Uint32Array[], options: GenerateOptions): Promise<number[][]> {
  const pick = options.pick ?? argmax;
  const { B, T } = model.shape;
  const V = model.spec.vocabSize;
  const results: number[][] = [];
  for (let first = 0; first < prompts.length; first += B) {
    const group = prompts.slice(first, first + B).map((p) => {
      if (p.length === 0) throw new RangeError('cannot generate from an empty prompt');
      // Keep the end of a prompt that leaves no room to generate.
      return Array.from(p.length >= T ? p.subarray(p.length - T + 1) : p);
    });
    const generated: number[][] = group.map(() => []);
    const done = group.map(() => false);
    for (let step = 0; step < options.maxNewTokens; step++) {
      const tokens = new Uint32Array(B * T).fill(options.padToken);
      group.forEach((row, b) => tokens.set(row, b * T));
      model.setBatch(tokens, new Int32Array(B * T).fill(-100));
      await model.gpu.run('generate', (enc) => model.forward(enc, null));
      options.onPass?.();
      for (const [b, row] of group.entries()) {
        if (done[b]) continue;
        const logits = await model.gpu.readF32(model.logits, V, (b * T + row.length - 1) * V);
        const next = pick(logits);
        generated[b].push(next);
        options.onToken?.(first + b, next);
        row.push(next);
        if (next === options.stopToken || row.length >= T) done[b] = true;
      }
      if (done.every(Boolean)) break;
    }
    results.push(...generated);
  }
  return results;
}

