// One entry for every format: picks the parser from the file's extension (or the caller's choice)
// and applies the size cap before any parsing starts.

import { parseCsv, type ColumnChoice } from './csv';
import { DataError, MAX_FILE_BYTES } from './errors';
import type { ChatFormatter, Example } from './example';
import { parseJsonl } from './jsonl';
import { stripBom } from './lines';
import { parseText } from './text';

export type DataFormat = 'jsonl' | 'csv' | 'tsv' | 'text';

export const DATA_FORMATS: readonly DataFormat[] = ['jsonl', 'csv', 'tsv', 'text'];

const EXTENSIONS: Record<string, DataFormat> = {
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'jsonl',
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  txt: 'text',
  text: 'text',
  md: 'text',
};

/** The format named by the file's extension, or null when the extension says nothing. */
export function formatOfFile(file: string): DataFormat | null {
  const dot = file.lastIndexOf('.');
  if (dot < 0) return null;
  return EXTENSIONS[file.slice(dot + 1).toLowerCase()] ?? null;
}

export function detectFormat(file: string, override?: DataFormat): DataFormat {
  if (override !== undefined) {
    if (!DATA_FORMATS.includes(override)) throw new DataError(file, `unknown format "${override}": choose one of ${DATA_FORMATS.join(', ')}`);
    return override;
  }
  const format = formatOfFile(file);
  if (format === null) {
    throw new DataError(file, `cannot tell the format from the file name: use .jsonl, .json, .csv, .tsv or .txt, or choose the format (${DATA_FORMATS.join(', ')})`);
  }
  return format;
}

export interface ParseOptions {
  format?: DataFormat;
  columns?: ColumnChoice;
  /** Renders `{"messages": …}` records; null or absent when the model has no chat template. */
  chat?: ChatFormatter | null;
}

export interface ParsedData {
  format: DataFormat;
  examples: Example[];
}

export function parseDataset(text: string, file: string, options: ParseOptions = {}): ParsedData {
  if (text.length > MAX_FILE_BYTES) {
    throw new DataError(file, `is over the ${MAX_FILE_BYTES / 2 ** 20} MiB limit: use a smaller sample of the data`);
  }
  const format = detectFormat(file, options.format);
  if (options.columns !== undefined && format !== 'csv' && format !== 'tsv') {
    throw new DataError(file, `columns apply to CSV and TSV files, not to ${format}`);
  }
  const body = stripBom(text);
  const examples =
    format === 'jsonl'
      ? parseJsonl(body, file, options.chat ?? null)
      : format === 'text'
        ? parseText(body, file)
        : parseCsv(body, file, format === 'csv' ? ',' : '\t', options.columns);
  return { format, examples };
}
