import { describe, expect, it } from 'vitest';
import { checkFileSize, MAX_FILE_BYTES, MAX_LINE_CHARS } from '../../src/data/errors';
import { parseJsonl } from '../../src/data/jsonl';
import { detectFormat, parseDataset } from '../../src/data/parse';
import { parseText } from '../../src/data/text';
import { baseModelTokenizer, dataError, fixtureTokenizer, lines } from './helpers';

describe('JSONL', () => {
  it('reads every shape, skips blank lines and keeps line numbers', async () => {
    const chat = await fixtureTokenizer();
    const text = lines(
      '{"prompt": "2+2=", "completion": " 4", "id": 7}',
      '',
      '   ',
      '{"text": "Once upon a time."}\r',
      '{"messages": [{"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris"}]}',
      '',
    );
    expect(parseJsonl(text, 'data.jsonl', chat)).toEqual([
      { prompt: '2+2=', completion: ' 4', line: 1 },
      { text: 'Once upon a time.', line: 4 },
      {
        prompt: '<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\n',
        completion: 'Paris<|im_end|>\n',
        templated: true,
        line: 5,
      },
    ]);
  });

  it('renders a multi-turn conversation up to its last assistant reply as the prompt', async () => {
    const chat = await fixtureTokenizer();
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Bye' },
      { role: 'assistant', content: 'Bye!' },
    ];
    const [example] = parseJsonl(JSON.stringify({ messages }), 'chat.jsonl', chat);
    expect(example).toEqual({
      prompt: chat.applyChatTemplate(messages.slice(0, 4), { addGenerationPrompt: true }),
      completion: 'Bye!<|im_end|>\n',
      templated: true,
      line: 1,
    });
  });

  it('reads a .json file holding one array of records', () => {
    const text = JSON.stringify([{ prompt: 'a', completion: 'b' }, { text: 'c' }], null, 2);
    expect(parseDataset(text, 'data.json').examples).toEqual([{ prompt: 'a', completion: 'b' }, { text: 'c' }]);
    expect(dataError(() => parseDataset('[{"text": 1}]', 'data.json')).message).toBe('data.json: item 1: "text" is a number, expected a string');
  });

  it('names the file, the line and the fault of a bad line', async () => {
    const chat = await fixtureTokenizer();
    const cases: Array<[string, string]> = [
      ['{"prompt": "a", "completion": "b"', 'invalid JSON ('],
      ['{"prompt": "a"}', 'missing "completion"'],
      ['{"completion": "b"}', 'missing "prompt"'],
      ['{"prompt": "a", "completion": 3}', '"completion" is a number, expected a string'],
      ['{"text": null}', '"text" is null, expected a string'],
      ['{"question": "a", "answer": "b"}', 'unknown shape (fields "question", "answer"): expected {"prompt","completion"}, {"text"} or {"messages"}'],
      ['[1, 2]', 'is an array, expected {"prompt","completion"}, {"text"} or {"messages"}'],
      ['"just a string"', 'is a string, expected'],
      ['{"messages": "hi"}', '"messages" is a string, expected a list of {"role","content"}'],
      ['{"messages": [{"role": "user"}]}', 'messages[0]: missing "content"'],
      ['{"messages": [{"role": "user", "content": "hi"}]}', '"messages" has no assistant message to learn from'],
      [
        '{"messages": [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "?"}]}',
        '"messages" goes on after its last assistant message (messages[0])',
      ],
    ];
    for (const [bad, detail] of cases) {
      const error = dataError(() => parseJsonl(lines('{"text": "fine"}', '', bad), 'data.jsonl', chat));
      expect(error.file).toBe('data.jsonl');
      expect(error.line).toBe(3);
      expect(error.message.startsWith(`data.jsonl line 3: ${detail}`), error.message).toBe(true);
    }
  });

  it('refuses conversations when the model has no chat template', () => {
    const text = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}';
    for (const chat of [baseModelTokenizer(), null]) {
      expect(dataError(() => parseJsonl(text, 'chat.jsonl', chat)).message).toBe(
        'chat.jsonl line 1: "messages" needs a chat template and this model has none (a base model?): use {"prompt","completion"} rows or a chat model',
      );
    }
  });

  it('refuses a line over the length cap before parsing it', () => {
    const text = lines('{"text": "ok"}', `{"text": "${'x'.repeat(MAX_LINE_CHARS)}"}`);
    const error = dataError(() => parseJsonl(text, 'big.jsonl', null));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/^big\.jsonl line 2: is \d+ characters long, over the 1048576 limit/);
  });
});

describe('plain text', () => {
  it('splits paragraphs at blank lines, with the line each starts on', () => {
    const text = '\uFEFFFirst line\r\nsame paragraph\r\n\r\n\r\nSecond.\n  \nThird\n';
    expect(parseDataset(text, 'book.txt')).toEqual({
      format: 'text',
      examples: [
        { text: 'First line\nsame paragraph', line: 1 },
        { text: 'Second.', line: 5 },
        { text: 'Third', line: 7 },
      ],
    });
    expect(parseText('', 'empty.txt')).toEqual([]);
  });
});

describe('format detection', () => {
  it('goes by the extension unless told otherwise', () => {
    expect(detectFormat('a.jsonl')).toBe('jsonl');
    expect(detectFormat('dir.v2/A.JSON')).toBe('jsonl');
    expect(detectFormat('a.csv')).toBe('csv');
    expect(detectFormat('a.tsv')).toBe('tsv');
    expect(detectFormat('notes.txt')).toBe('text');
    expect(detectFormat('data.dat', 'csv')).toBe('csv');
    expect(detectFormat('a.csv', 'text')).toBe('text');
    expect(parseDataset('a\tb\n1\t2', 'export.dat', { format: 'tsv' }).examples).toEqual([{ prompt: '1', completion: '2', line: 2 }]);
  });

  it('is a clear error for an unknown extension, an unknown format, or columns on a non-table', () => {
    expect(dataError(() => detectFormat('data.parquet')).message).toBe(
      'data.parquet: cannot tell the format from the file name: use .jsonl, .json, .csv, .tsv or .txt, or choose the format (jsonl, csv, tsv, text)',
    );
    expect(dataError(() => detectFormat('README')).file).toBe('README');
    expect(dataError(() => detectFormat('a.csv', 'xml' as never)).message).toMatch(/unknown format "xml"/);
    expect(dataError(() => parseDataset('{"text": "a"}', 'a.jsonl', { columns: { textColumn: 'text' } })).message).toBe(
      'a.jsonl: columns apply to CSV and TSV files, not to jsonl',
    );
  });

  it('refuses a file over the size cap', () => {
    expect(() => checkFileSize('ok.jsonl', MAX_FILE_BYTES)).not.toThrow();
    expect(dataError(() => checkFileSize('huge.jsonl', 300 * 2 ** 20)).message).toBe(
      'huge.jsonl: is 300.0 MiB, over the 200 MiB limit: use a smaller sample of the data',
    );
  });
});
