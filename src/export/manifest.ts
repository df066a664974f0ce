// data_manifest.json: every batch the run used, in Hugging Face's convention, so the run can be
// recomputed elsewhere: `input_ids` and `labels` [B][T], right-padded, −100 where a token does not
// count; the loss at position t predicts labels[t + 1]; rows attend causally as a whole. For an
// encoder-decoder model, as its forward takes them: `input_ids` and `attention_mask` [B][S] for the
// encoder, `labels` [B][T] (the decoder's input is the labels shifted right; no shift in the loss).

import type { Batch } from '../data/batch';

interface ManifestBatch {
  input_ids: number[][];
  attention_mask?: number[][];
  labels: number[][];
}

function rows(batch: Batch): ManifestBatch {
  const { batchSize: B, seqLen: T, source } = batch;
  const slice = (values: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }, b: number, length: number) => Array.from(values.subarray(b * length, (b + 1) * length));
  const labels = Array.from({ length: B }, (_, b) => slice(batch.labels, b, T));
  if (source) {
    const S = source.length;
    return { input_ids: Array.from({ length: B }, (_, b) => slice(source.ids, b, S)), attention_mask: Array.from({ length: B }, (_, b) => slice(source.mask, b, S)), labels };
  }
  return { input_ids: Array.from({ length: B }, (_, b) => slice(batch.inputIds, b, T)), labels };
}

export function buildManifest(batches: { scan: Batch[]; train: Batch[]; val: Batch[] }): string {
  // One batch per line keeps a large manifest readable and diffable.
  const section = (list: Batch[]) => (list.length ? `[\n${list.map((b) => '    ' + JSON.stringify(rows(b))).join(',\n')}\n  ]` : '[]');
  return `{\n  "scan": ${section(batches.scan)},\n  "train": ${section(batches.train)},\n  "val": ${section(batches.val)}\n}\n`;
}
