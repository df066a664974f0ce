// The review sentences of the sentiment sample's training split, without their labels: in-domain
// text for the built-in model's pre-training. Validation and test sentences are never read, so the
// fine-tuning sample's evaluation texts stay unseen. Source and licence (CC BY 4.0):
// public/datasets/README.md.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SAMPLE = join(import.meta.dirname, '..', '..', 'public', 'datasets', 'sentiment.jsonl');
const PROMPT = /^Review: (.*)\nSentiment:$/s;

/** The training split's sentences, in file order. */
export function trainingReviews(file: string = SAMPLE): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { prompt: string; split?: string })
    .filter((row) => row.split === 'train')
    .map((row) => {
      const match = PROMPT.exec(row.prompt);
      if (match === null) throw new Error(`${file}: a prompt not in the sample's "Review: …\\nSentiment:" form: ${row.prompt}`);
      return match[1];
    });
}
