// Evaluation: validation loss (mean over every counted validation token), and for
// classification-style data the accuracy of picking the label the model finds most likely after the
// prompt. When the labels begin with different tokens (" positive" / " negative"), that choice is
// read from the logits of the loss pass itself: the label whose first token scores highest at the
// end of the prompt, the one greedy decoding would start. Otherwise every label is scored by its
// summed loss, one row per (example, label). See docs/gora.md, "Evaluation".

import type { TrainableModel } from '../engine/trainable';
import type { ClassLabels } from '../data/prepare';
import type { RowLayout } from '../data/layout';
import { promptLength, type TokenSequence } from '../data/tokenize';

/** Σ of losses per row of the current batch ([B] sums over T positions). */
async function rowLossSums(model: TrainableModel): Promise<Float64Array> {
  const { B, T } = model.shape;
  const losses = await model.gpu.readF32(model.losses);
  const sums = new Float64Array(B);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) sums[b] += losses[b * T + t];
  return sums;
}

/** Mean loss over every counted token of `rows` (at most `maxBatches` batches of them; 0: all). */
export async function meanTokenLoss(model: TrainableModel, rows: readonly TokenSequence[], layout: RowLayout, maxBatches = 0): Promise<{ loss: number; tokens: number }> {
  const { loss, tokens } = await scoreRows(model, rows, null, layout, maxBatches);
  return { loss, tokens };
}

export interface RowsScore {
  /** Mean loss over every counted token of the rows scored. */
  loss: number;
  tokens: number;
  /** Share of the scored rows whose completion is a label that the model picks; null without labels. */
  accuracy: number | null;
  /** Rows counted for accuracy (those whose completion is one of the labels), else the rows scored. */
  examples: number;
}

/** Which label a row's completion is (-1: none), and where its prompt ends. */
function labelOf(row: TokenSequence, labels: ClassLabels): { own: number; promptEnd: number } {
  const promptEnd = promptLength(row);
  const completion = row.ids.subarray(promptEnd);
  const own = labels.tokens.findIndex((l) => l.length === completion.length && l.every((id, i) => id === completion[i]));
  return { own, promptEnd };
}

/** Labels that their first token tells apart: one forward pass decides between them. */
export function firstTokensDiffer(labels: ClassLabels): boolean {
  return new Set(labels.tokens.map((l) => l[0])).size === labels.tokens.length;
}

/**
 * Loss and accuracy of `rows` (at most `maxBatches` batches of them; 0: all) in one pass over them
 * when the labels' first tokens differ, otherwise the loss pass and labelAccuracy on the same rows.
 * `onPass` is called after each forward pass (run-time.ts counts them ahead).
 */
export async function scoreRows(model: TrainableModel, rows: readonly TokenSequence[], labels: ClassLabels | null, layout: RowLayout, maxBatches = 0, onPass: () => void = () => {}): Promise<RowsScore> {
  const { B, T } = model.shape;
  const V = model.vocabSize;
  const scored = maxBatches > 0 ? rows.slice(0, maxBatches * B) : rows;
  const oneAnswer = labels !== null && firstTokensDiffer(labels);
  let sum = 0;
  let tokens = 0;
  let right = 0;
  let counted = 0;
  for (let first = 0; first < scored.length; first += B) {
    const group = scored.slice(first, first + B);
    const batch = layout.batchOf(group);
    model.useBatch(batch);
    await model.gpu.run('validation', (enc) => model.forward(enc, null));
    onPass();
    sum += (await rowLossSums(model)).reduce((a, b) => a + b, 0);
    tokens += batch.count;
    if (!oneAnswer) continue;
    for (const [b, row] of group.entries()) {
      const { own, promptEnd } = labelOf(row, labels);
      if (own < 0 || promptEnd === 0) continue;
      // Row b's logits at this position predict the completion's first token.
      const logits = await model.gpu.readF32(model.logits, V, (b * T + layout.firstLabelLogit(promptEnd)) * V);
      const firstScores = labels.tokens.map((l) => logits[l[0]]);
      if (firstScores.indexOf(Math.max(...firstScores)) === own) right++;
      counted++;
    }
  }
  const loss = tokens > 0 ? sum / tokens : NaN;
  if (oneAnswer) return { loss, tokens, accuracy: counted > 0 ? right / counted : null, examples: counted > 0 ? counted : scored.length };
  const acc = await labelAccuracy(model, scored, labels, layout, onPass);
  return { loss, tokens, accuracy: acc?.accuracy ?? null, examples: acc?.examples ?? scored.length };
}

/**
 * For each validation example whose completion is one of the labels: score every label by the
 * summed loss of its tokens after the prompt and count the example right when the lowest is its own.
 */
export async function labelAccuracy(model: TrainableModel, rows: readonly TokenSequence[], labels: ClassLabels | null, layout: RowLayout, onPass: () => void = () => {}): Promise<{ accuracy: number; examples: number } | null> {
  if (!labels || rows.length === 0) return null;
  const { B } = model.shape;
  const candidates: TokenSequence[] = [];
  const truth: number[] = [];
  for (const row of rows) {
    const { own, promptEnd } = labelOf(row, labels);
    if (own < 0 || promptEnd === 0) continue;
    const prompt = row.ids.subarray(0, promptEnd);
    truth.push(own);
    for (const label of labels.tokens) candidates.push(layout.candidate(prompt, label));
  }
  if (truth.length === 0) return null;
  const scores: number[] = [];
  for (let first = 0; first < candidates.length; first += B) {
    const group = candidates.slice(first, first + B);
    model.useBatch(layout.batchOf(group));
    await model.gpu.run('label scores', (enc) => model.forward(enc, null));
    onPass();
    const sums = await rowLossSums(model);
    for (let b = 0; b < group.length; b++) scores.push(sums[b]);
  }
  const k = labels.tokens.length;
  let right = 0;
  truth.forEach((own, i) => {
    const row = scores.slice(i * k, (i + 1) * k);
    if (row.indexOf(Math.min(...row)) === own) right++;
  });
  return { accuracy: right / truth.length, examples: truth.length };
}
