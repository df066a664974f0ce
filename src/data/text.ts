// Plain text: blank lines separate paragraphs, and each paragraph is one text example. Paragraphs
// longer than the sequence length are cut into windows, or the whole text is packed into rows,
// once tokenised (see ./tokenize.ts and ./batch.ts); only the token counts know where to cut.

import type { TextExample } from './example';
import { forEachLine } from './lines';

export function parseText(text: string, file: string): TextExample[] {
  const examples: TextExample[] = [];
  let lines: string[] = [];
  let first = 0;
  const flush = () => {
    if (lines.length > 0) examples.push({ text: lines.join('\n'), line: first });
    lines = [];
  };
  forEachLine(text, file, (line, lineNumber) => {
    if (line.trim() === '') {
      flush();
      return;
    }
    if (lines.length === 0) first = lineNumber;
    lines.push(line);
  });
  flush();
  return examples;
}
