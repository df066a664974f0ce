// Every problem with a dataset ends in one error type whose message names the file, the line when
// there is one, and what to change, so the UI and the CLI can show it as it is and stop before any
// GPU work starts.

export class DataError extends Error {
  constructor(
    /** The dataset's file name, e.g. `data.jsonl`. */
    readonly file: string,
    detail: string,
    /** 1-based line of the file where the problem is, when it is one line's (or one record's). */
    readonly line?: number,
  ) {
    super(line === undefined ? `${file}: ${detail}` : `${file} line ${line}: ${detail}`);
    this.name = 'DataError';
  }
}

/**
 * Caps checked before a file or a line is copied, so a wrong file (a checkpoint, a video) fails at
 * once instead of exhausting a browser tab's memory. Strings are measured in UTF-16 code units,
 * which never exceed the UTF-8 byte count, so a string over a cap is a file over it too.
 */
export const MAX_FILE_BYTES = 200 * 1024 * 1024;
export const MAX_LINE_CHARS = 1024 * 1024;

/** For callers that know a file's size before reading it (a browser File, fs.stat). */
export function checkFileSize(file: string, bytes: number): void {
  if (bytes > MAX_FILE_BYTES) {
    throw new DataError(file, `is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the ${MAX_FILE_BYTES / 2 ** 20} MiB limit: use a smaller sample of the data`);
  }
}

export function lineTooLong(file: string, line: number, length: number): DataError {
  return new DataError(file, `is ${length} characters long, over the ${MAX_LINE_CHARS} limit (is this a text dataset?)`, line);
}
