// Greedy decoding and label choice with T5 on the GPU (src/engine/t5-generate.ts), against the
// CPU reference stepping the same way, on both T5 fixtures.

import { describe, expect, it } from 'vitest';
import { openT5, readT5Weights } from '../../src/model/t5-load';
import { nodeModelFiles } from '../../src/model/node-files';
import { ReferenceT5 } from '../../src/engine/ref/t5';
import { T5Model } from '../../src/engine/t5-model';
import { t5Generate, t5PickLabels } from '../../src/engine/t5-generate';
import { testGpu } from '../gpu';
import { fixturePath } from './fixtures';

/** The reference's greedy tokens, one full forward per step. */
function referenceGreedy(reference: ReferenceT5, inputIds: Uint32Array, maxNewTokens: number): number[] {
  const { vocabSize: V, decoderStartTokenId, eosTokenId } = reference.spec;
  const generated: number[] = [];
  while (generated.length < maxNewTokens) {
    const decoderInputIds = Uint32Array.from([decoderStartTokenId, ...generated]);
    const logits = reference.logits({ inputIds, attentionMask: new Uint8Array(inputIds.length).fill(1), decoderInputIds });
    const last = [...logits.subarray((decoderInputIds.length - 1) * V)];
    const best = last.indexOf(Math.max(...last));
    generated.push(best);
    if (best === eosTokenId) break;
  }
  return generated;
}

describe('T5 generation on WebGPU', () => {
  for (const fixture of ['t5', 't5-v1_1']) {
    it(`${fixture}: greedy tokens and label picks equal the CPU reference's`, async () => {
      const opened = await openT5(await nodeModelFiles(fixturePath(fixture)));
      const weights = await readT5Weights(opened);
      const reference = new ReferenceT5(opened.spec, new Map([...weights].map(([name, w]) => [name, Float64Array.from(w)])));
      const model = new T5Model(await testGpu(), opened.spec, weights);
      const sources = [Uint32Array.from([5, 9, 2, 30, 11, 1]), Uint32Array.from([44, 8, 1]), Uint32Array.from([7, 7, 7, 7, 1])];
      for (const source of sources) expect(await t5Generate(model, source, { maxNewTokens: 6 })).toEqual(referenceGreedy(reference, source, 6));
      // Labels by their first token: the pick is the highest of those logits at the first position.
      const labels = [17, 23, 99];
      const picks = await t5PickLabels(model, sources, labels);
      picks.forEach((pick, b) => {
        const first = reference.logits({ inputIds: sources[b], attentionMask: new Uint8Array(sources[b].length).fill(1), decoderInputIds: Uint32Array.from([opened.spec.decoderStartTokenId]) });
        const scores = labels.map((token) => first[token]);
        expect(pick).toBe(scores.indexOf(Math.max(...scores)));
      });
      await expect(t5PickLabels(model, sources, [17, 17])).rejects.toThrow(/share their first token/);
      model.destroy();
    });
  }
});
