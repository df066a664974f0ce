import { describe, expect, it } from 'vitest';
import { delimitedColumns, parseCsv, parseDelimited } from '../../src/data/csv';
import { parseDataset } from '../../src/data/parse';
import { dataError } from './helpers';

describe('RFC 4180 records', () => {
  it('reads quoted fields, doubled quotes, line breaks inside quotes and CRLF', () => {
    const text = 'prompt,completion\r\n"Say ""hi""","Hi, there!"\r\n"line one\r\nline two",plain\r\n,\r\n';
    expect(parseDelimited(text, 'a.csv', ',')).toEqual([
      { fields: ['prompt', 'completion'], line: 1 },
      { fields: ['Say "hi"', 'Hi, there!'], line: 2 },
      { fields: ['line one\r\nline two', 'plain'], line: 3 },
      { fields: ['', ''], line: 5 },
    ]);
  });

  it('keeps line numbers right after multi-line fields and skips blank lines', () => {
    const text = 'a,b\n"x\n\ny",1\n\n2,"3"\n"",\n';
    expect(parseDelimited(text, 'a.csv', ',')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['x\n\ny', '1'], line: 2 },
      { fields: ['2', '3'], line: 6 },
      { fields: ['', ''], line: 7 },
    ]);
  });

  it('treats a quote inside an unquoted field as text, and a trailing delimiter as an empty field', () => {
    expect(parseDelimited('a\tb\nsays "no"\t5 "inch"\n', 'a.tsv', '\t')[1].fields).toEqual(['says "no"', '5 "inch"']);
    expect(parseDelimited('a,b,', 'a.csv', ',')[0].fields).toEqual(['a', 'b', '']);
  });

  it('refuses an unclosed quote and text after a closing quote, with the line', () => {
    const unclosed = dataError(() => parseDelimited('a,b\n1,2\n"open,3\n4,5\n', 'a.csv', ','));
    expect(unclosed.message).toBe('a.csv line 3: a quoted field opens here and is never closed (a missing ")');
    const after = dataError(() => parseDelimited('a,b\n"x\ny"z,1\n', 'a.csv', ','));
    expect(after.message).toBe('a.csv line 3: text after a closing quote: quote the whole field and write quotes inside it as ""');
  });

  it('lists the header for a column picker', () => {
    expect(delimitedColumns('"first col",second\n1,2\n', 'a.csv', ',')).toEqual(['first col', 'second']);
    expect(delimitedColumns('', 'a.csv', ',')).toEqual([]);
  });
});

describe('CSV and TSV examples', () => {
  it('defaults to prompt/completion columns wherever they are', () => {
    const text = 'id,completion,prompt\n1,yes,Is it?\n2,no,"Is it, really?"\n';
    expect(parseCsv(text, 'a.csv', ',')).toEqual([
      { prompt: 'Is it?', completion: 'yes', line: 2 },
      { prompt: 'Is it, really?', completion: 'no', line: 3 },
    ]);
  });

  it('falls back to text, then input/output, then the first two columns, then a single column as text', () => {
    expect(parseCsv('id,Text\n1,hello\n', 'a.csv', ',')).toEqual([{ text: 'hello', line: 2 }]);
    expect(parseCsv('output,input,x\nO,I,X\n', 'a.csv', ',')).toEqual([{ prompt: 'I', completion: 'O', line: 2 }]);
    expect(parseCsv('question\tanswer\tsource\nQ\tA\tS\n', 'a.tsv', '\t')).toEqual([{ prompt: 'Q', completion: 'A', line: 2 }]);
    expect(parseCsv('sentence\nOne.\n', 'a.csv', ',')).toEqual([{ text: 'One.', line: 2 }]);
    expect(parseCsv('', 'a.csv', ',')).toEqual([]);
  });

  it('uses the columns it is given, matching case and spaces loosely', () => {
    const text = 'Question, Answer ,text\nQ,A,T\n';
    expect(parseCsv(text, 'a.csv', ',', { promptColumn: 'question', completionColumn: 'answer' })).toEqual([{ prompt: 'Q', completion: 'A', line: 2 }]);
    expect(parseCsv(text, 'a.csv', ',', { textColumn: 'Question' })).toEqual([{ text: 'Q', line: 2 }]);
  });

  it('names a missing column and lists the available ones', () => {
    const text = 'question,answer\nQ,A\n';
    const error = dataError(() => parseCsv(text, 'qa.csv', ',', { promptColumn: 'question', completionColumn: 'response' }));
    expect(error.message).toBe('qa.csv line 1: has no column "response" (columns: "question", "answer")');
    expect(dataError(() => parseCsv(text, 'qa.csv', ',', { textColumn: 'body' })).message).toBe(
      'qa.csv line 1: has no column "body" (columns: "question", "answer")',
    );
    expect(dataError(() => parseCsv('prompt,answer\nQ,A\n', 'qa.csv', ',')).message).toBe(
      'qa.csv line 1: has no column "completion" (columns: "prompt", "answer")',
    );
  });

  it('refuses a row with the wrong number of fields, naming its line', () => {
    const text = 'prompt,completion\n"multi\nline",ok\nQ,A,extra\n';
    const error = dataError(() => parseCsv(text, 'a.csv', ','));
    expect(error.line).toBe(4);
    expect(error.message).toBe('a.csv line 4: has 3 fields but the header has 2 (a comma inside an unquoted field?)');
    expect(dataError(() => parseCsv('a\tb\nonly\n', 'a.tsv', '\t')).message).toBe(
      'a.tsv line 2: has 1 fields but the header has 2 (a tab inside an unquoted field?)',
    );
  });

  it('is reached through parseDataset by extension, BOM and all', () => {
    const parsed = parseDataset('\uFEFFprompt\tcompletion\r\nQ\tA\r\n', 'data.tsv');
    expect(parsed).toEqual({ format: 'tsv', examples: [{ prompt: 'Q', completion: 'A', line: 2 }] });
    expect(parseDataset('text\nhello\n', 'data.csv', { columns: { textColumn: 'text' } }).examples).toEqual([{ text: 'hello', line: 2 }]);
  });
});
