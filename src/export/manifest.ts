// data_manifest.json: every batch the run used, in Hugging Face's convention, so the run can be
// recomputed elsewhere: `input_ids` and `labels` [B][T], right-padded, −100 where a token does not
// count; the loss at position t predicts labels[t + 1]; rows attend causally as a whole.

import type { Batch } from '../data/batch';

interface ManifestBatch {
  input_ids: number[][];
  labels: number[][];
}

function rows(batch: Batch): ManifestBatch {
  const { batchSize: B, seqLen: T } = batch;
  const input_ids: number[][] = [];
  const labels: number[][] = [];
  for (let b = 0; b < B; b++) {
    input_ids.push(Array.from(batch.inputIds.subarray(b * T, (b + 1) * T)));
    labels.push(Array.from(batch.labels.subarray(b * T, (b + 1) * T)));
  }
  return { input_ids, labels };
}

export function buildManifest(batches: { scan: Batch[]; train: Batch[]; val: Batch[] }): string {
  // One batch per line keeps a large manifest readable and diffable.
  const section = (list: Batch[]) => (list.length ? `[\n${list.map((b) => '    ' + JSON.stringify(rows(b))).join(',\n')}\n  ]` : '[]');
  return `{\n  "scan": ${section(batches.scan)},\n  "train": ${section(batches.train)},\n  "val": ${section(batches.val)}\n}\n`;
}
