// Line scanning shared by the line-based formats (JSONL, plain text): \n and \r\n endings, 1-based
// line numbers for error messages, and the line-length cap checked before the line is copied.

import { lineTooLong, MAX_LINE_CHARS } from './errors';

/** Drops a UTF-8 byte-order mark, which editors on Windows put at the start of text files. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Calls `visit` with every line (without its ending) and its 1-based number. */
export function forEachLine(text: string, file: string, visit: (line: string, lineNumber: number) => void): void {
  let start = 0;
  let lineNumber = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNumber++;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (stop - start > MAX_LINE_CHARS) throw lineTooLong(file, lineNumber, stop - start);
    visit(text.slice(start, stop), lineNumber);
    start = end + 1;
  }
}
