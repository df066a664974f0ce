// Label accuracy read from the loss pass: when the labels begin with different tokens, scoreRows
// picks the label whose first token the logits at the end of the prompt rank highest, in the same
// forward pass as the loss. Checked against the loss alone (meanTokenLoss), against picks computed
// from prompt-only rows, and, when the first tokens are shared, against the per-label scoring.

import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../src/data/batch';
import { prepareDataset, type ClassLabels } from '../../src/data/prepare';
import { promptLength, type TokenSequence } from '../../src/data/tokenize';
import { uploadWeights } from '../../src/engine/load';
import { Transformer } from '../../src/engine/transformer';
import { decoderLayout } from '../../src/data/layout';
import { firstTokensDiffer, labelAccuracy, meanTokenLoss, scoreRows } from '../../src/train/evaluate';
import { testGpu } from '../gpu';
import { loadFixture } from '../engine/fixtures';

const B = 3;
const T = 48;
const layout = decoderLayout(B, T, 0);
// Two labels that the fixture tokenizer starts with different tokens, and two that share the first.
const DIFFERENT = ['good', 'bad'];
const SHARED = ['good', 'goody'];

function jsonl(labels: string[], flip = false): string {
  return Array.from({ length: 14 }, (_, i) => JSON.stringify({ prompt: `Review ${i}: the soup was ${i % 3 ? 'hot' : 'cold'}\nSentiment:`, completion: labels[(i + (flip ? 1 : 0)) % 2], split: i < 4 ? 'train' : 'validation' })).join('\n');
}

describe('scoreRows', async () => {
  const gpu = await testGpu();
  const { model: opened } = await loadFixture('smollm2');
  const tokenizer = opened.tokenizer!;
  const model = new Transformer(gpu, opened.spec, await uploadWeights(gpu, opened), { B, T });
  // The labels exactly as written (no separator put before them), so their first tokens are the ones named above.
  const prepare = (labels: string[], flip = false) => prepareDataset(jsonl(labels, flip), 'labels.jsonl', tokenizer, { seqLen: T, batchSize: B, seed: 0, separator: 'none' });

  /** Each row's pick from a separate pass over its prompt alone. */
  async function promptOnlyPicks(rows: readonly TokenSequence[], labels: ClassLabels): Promise<number[]> {
    const V = opened.spec.vocabSize;
    const picks: number[] = [];
    for (const row of rows) {
      const prompt = row.ids.subarray(0, promptLength(row));
      // The prompt and one stand-in target (a batch needs one); causal attention keeps it out of the prompt's logits.
      const ids = Uint32Array.from([...prompt, labels.tokens[0][0]]);
      const mask = new Uint8Array(ids.length);
      mask[prompt.length] = 1;
      const batch = makeBatch([{ ids, mask, kind: 'completion' }], B, T, 0);
      model.setBatch(batch.tokens, batch.targets);
      await gpu.run('prompt only', (enc) => model.forward(enc, null));
      const logits = await gpu.readF32(model.logits, V, (prompt.length - 1) * V);
      const scores = labels.tokens.map((l) => logits[l[0]]);
      picks.push(scores.indexOf(Math.max(...scores)));
    }
    return picks;
  }

  it('reads accuracy from the loss pass when the labels start with different tokens', async () => {
    const data = prepare(DIFFERENT);
    expect(firstTokensDiffer(data.labels!)).toBe(true);
    const score = await scoreRows(model, data.val, data.labels, layout);
    expect(score.examples).toBe(10);
    expect(score.loss).toBeCloseTo((await meanTokenLoss(model, data.val, layout)).loss, 6);
    const picks = await promptOnlyPicks(data.val, data.labels!);
    const truth = data.valExamples.map((e) => data.labels!.labels.indexOf((e as { completion: string }).completion));
    expect(score.accuracy).toBeCloseTo(picks.filter((p, i) => p === truth[i]).length / picks.length, 12);
    // The logits at the prompt's end do not see the completion: the other label's rows score 1 − accuracy.
    const flipped = prepare(DIFFERENT, true);
    expect((await scoreRows(model, flipped.val, flipped.labels, layout)).accuracy).toBeCloseTo(1 - score.accuracy!, 12);
  });

  it('bounds loss and accuracy to the same batches', async () => {
    const data = prepare(DIFFERENT);
    const bounded = await scoreRows(model, data.val, data.labels, layout, 2);
    expect(bounded.examples).toBe(2 * B);
    expect(bounded.accuracy).toBeCloseTo((await scoreRows(model, data.val.slice(0, 2 * B), data.labels, layout)).accuracy!, 12);
  });

  it('scores every label by its summed loss when the labels share their first token', async () => {
    const data = prepare(SHARED);
    expect(firstTokensDiffer(data.labels!)).toBe(false);
    const score = await scoreRows(model, data.val, data.labels, layout);
    const perLabel = await labelAccuracy(model, data.val, data.labels, layout);
    expect(score.accuracy).toBe(perLabel!.accuracy);
    expect(score.examples).toBe(perLabel!.examples);
  });
});
