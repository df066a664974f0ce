// CSV and TSV with a header row, quoted as RFC 4180 says: a field may be wrapped in double quotes,
// inside which delimiters and line breaks are literal and `""` is one quote; records end with CRLF
// or LF. A quote inside an unquoted field is kept as text (as spreadsheet programs write TSV).

import { DataError, MAX_LINE_CHARS, lineTooLong } from './errors';
import type { Example } from './example';
import { splitField } from './split';

export interface DelimitedRecord {
  fields: string[];
  /** 1-based line on which the record starts (a quoted field may span several). */
  line: number;
}

/** Which columns hold the data: prompt and completion, or one text column. */
export type ColumnChoice = { promptColumn: string; completionColumn: string } | { textColumn: string };

const QUOTE = 34;
const LF = 10;
const CR = 13;

function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/** Records of `text` (header included), skipping blank lines; stops after `maxRecords` when given. */
export function parseDelimited(text: string, file: string, delimiter: ',' | '\t', maxRecords = Infinity): DelimitedRecord[] {
  const DELIM = delimiter.charCodeAt(0);
  const n = text.length;
  const records: DelimitedRecord[] = [];
  let i = 0;
  let line = 1;
  while (i < n && records.length < maxRecords) {
    const start = i;
    const recordLine = line;
    const fields: string[] = [];
    let quotedFields = 0;
    for (;;) {
      if (text.charCodeAt(i) === QUOTE) {
        quotedFields++;
        let value = '';
        let j = i + 1;
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) throw new DataError(file, 'a quoted field opens here and is never closed (a missing ")', recordLine);
          if (q - start > MAX_LINE_CHARS) throw lineTooLong(file, recordLine, q - start);
          value += text.slice(j, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            j = q + 2;
            continue;
          }
          line += countLineBreaks(text, i, q);
          i = q + 1;
          break;
        }
        fields.push(value);
        const next = text.charCodeAt(i);
        if (i < n && next !== DELIM && next !== LF && next !== CR) {
          throw new DataError(file, 'text after a closing quote: quote the whole field and write quotes inside it as ""', line);
        }
      } else {
        let j = i;
        for (; j < n; j++) {
          const c = text.charCodeAt(j);
          if (c === DELIM || c === LF || c === CR) break;
          if (j - start > MAX_LINE_CHARS) throw lineTooLong(file, recordLine, j - start);
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === DELIM) {
        i++;
        continue;
      }
      i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      break;
    }
    const blank = fields.length === 1 && quotedFields === 0 && fields[0].trim() === '';
    if (!blank) records.push({ fields, line: recordLine });
  }
  return records;
}

/** The header's column names (for a UI that lets the user pick columns). */
export function delimitedColumns(text: string, file: string, delimiter: ',' | '\t'): string[] {
  return parseDelimited(text, file, delimiter, 1)[0]?.fields ?? [];
}

function normalise(name: string): string {
  return name.trim().toLowerCase();
}

/** Index of a column: its exact name, else the one name equal to it ignoring case and spaces. */
function findColumn(header: readonly string[], name: string): number {
  const exact = header.indexOf(name);
  if (exact >= 0) return exact;
  const loose = header.flatMap((h, i) => (normalise(h) === normalise(name) ? [i] : []));
  return loose.length === 1 ? loose[0] : -1;
}

type Chosen = { prompt: number; completion: number } | { text: number };

function chooseColumns(header: readonly string[], file: string, columns: ColumnChoice | undefined): Chosen {
  const available = `(columns: ${header.map((h) => `"${h}"`).join(', ')})`;
  const require = (name: string): number => {
    const index = findColumn(header, name);
    if (index < 0) throw new DataError(file, `has no column "${name}" ${available}`, 1);
    return index;
  };
  if (columns) {
    return 'textColumn' in columns
      ? { text: require(columns.textColumn) }
      : { prompt: require(columns.promptColumn), completion: require(columns.completionColumn) };
  }
  const [prompt, completion] = [findColumn(header, 'prompt'), findColumn(header, 'completion')];
  if (prompt >= 0 && completion >= 0) return { prompt, completion };
  if (prompt >= 0 || completion >= 0) {
    // Half a pair is a mistake to report, not a cue to guess other columns.
    throw new DataError(file, `has no column "${prompt >= 0 ? 'completion' : 'prompt'}" ${available}`, 1);
  }
  const text = findColumn(header, 'text');
  if (text >= 0) return { text };
  const [input, output] = [findColumn(header, 'input'), findColumn(header, 'output')];
  if (input >= 0 && output >= 0) return { prompt: input, completion: output };
  return header.length >= 2 ? { prompt: 0, completion: 1 } : { text: 0 };
}

/**
 * Examples from a CSV (`,`) or TSV (tab) file. Columns default to prompt/completion, then text,
 * then input/output, then the first two columns (a single column is text). A column named "split"
 * gives each record's split (./split.ts).
 */
export function parseCsv(text: string, file: string, delimiter: ',' | '\t', columns?: ColumnChoice): Example[] {
  const records = parseDelimited(text, file, delimiter);
  if (records.length === 0) return [];
  const header = records[0].fields;
  const chosen = chooseColumns(header, file, columns);
  const splitColumn = findColumn(header, 'split');
  const examples: Example[] = [];
  for (let r = 1; r < records.length; r++) {
    const { fields, line } = records[r];
    if (fields.length !== header.length) {
      const what = delimiter === ',' ? 'a comma' : 'a tab';
      throw new DataError(file, `has ${fields.length} fields but the header has ${header.length} (${what} inside an unquoted field?)`, line);
    }
    const example: Example = 'text' in chosen ? { text: fields[chosen.text], line } : { prompt: fields[chosen.prompt], completion: fields[chosen.completion], line };
    if (splitColumn >= 0) example.split = splitField(fields[splitColumn], (detail) => new DataError(file, detail, line));
    examples.push(example);
  }
  return examples;
}
