import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryFiles } from '../../src/model/bytes';
import { ModelFormatError } from '../../src/model/errors';
import { loadTokenizer, Tokenizer } from '../../src/model/tokenizer';
import { fixtureFiles, fixtureJson } from './helpers';

const TEXTS = [
  'The quick brown fox jumps over the lazy dog.',
  'What is the answer?\nThe answer is in the question.',
  '  leading spaces, trailing tabs\t\t',
  'Ünïcödé, 中文, emoji 🦊 and numbers 12345',
  '',
];

function fixtureTokenizer(): Tokenizer {
  return Tokenizer.fromJSON(fixtureJson('smollm2', 'tokenizer.json'), fixtureJson('smollm2', 'tokenizer_config.json'));
}

interface TokenizerJson {
  model: { vocab: Record<string, number>; merges: unknown[] };
}

describe('Tokenizer', () => {
  const tokenizer = fixtureTokenizer();
  const vocab = (fixtureJson('smollm2', 'tokenizer.json') as unknown as TokenizerJson).model.vocab;

  it('reports its size and special token ids', () => {
    expect(tokenizer.vocabSize).toBe(299);
    expect(tokenizer.bosTokenId).toBe(0);
    expect(tokenizer.eosTokenId).toBe(0);
    expect(tokenizer.padTokenId).toBe(0);
    expect(tokenizer.tokenToId('<|im_end|>')).toBe(2);
    expect(tokenizer.idToToken(1)).toBe('<|im_start|>');
  });

  it('applies the learned merges, with the space folded into the word (Ġ)', () => {
    expect(tokenizer.encode('The cat the dog')).toEqual([vocab['The'], vocab['Ġcat'], vocab['Ġthe'], vocab['Ġdog']]);
    // A word without merges falls back to its bytes: "z" is byte 0x7a, "é" the two bytes C3 A9.
    expect(tokenizer.encode('zé').map((id) => tokenizer.idToToken(id))).toEqual(['z', 'Ã', '©']);
  });

  it('round-trips text through encode and decode', () => {
    for (const text of TEXTS) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('round-trips any Unicode text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps special tokens whole, and can skip them when decoding', () => {
    const ids = tokenizer.encode('<|im_start|>user\nhi<|im_end|>');
    expect(ids[0]).toBe(1);
    expect(ids.at(-1)).toBe(2);
    expect(tokenizer.decode(ids)).toBe('<|im_start|>user\nhi<|im_end|>');
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('user\nhi');
    expect(tokenizer.decode([])).toBe('');
  });

  it('loads both merge formats of tokenizer.json ("a b" strings and ["a", "b"] pairs) alike', () => {
    const json = fixtureJson('smollm2', 'tokenizer.json') as unknown as TokenizerJson;
    const pairs = json.model.merges as Array<[string, string]>;
    expect(Array.isArray(pairs[0])).toBe(true);
    const strings = { ...json, model: { ...json.model, merges: pairs.map(([a, b]) => `${a} ${b}`) } };
    const fromStrings = Tokenizer.fromJSON(strings, fixtureJson('smollm2', 'tokenizer_config.json'));
    const fromPairs = Tokenizer.fromJSON(json, fixtureJson('smollm2', 'tokenizer_config.json'));
    for (const text of TEXTS) {
      const ids = fromPairs.encode(text);
      expect(fromStrings.encode(text)).toEqual(ids);
      expect(fromStrings.decode(ids)).toBe(text);
    }
    // The merges are in use: merged tokens come after the 3 specials and 256 bytes.
    expect(fromStrings.encode(TEXTS[0]).some((id) => id >= 259)).toBe(true);
  });

  it('refuses a tokenizer.json it cannot use', () => {
    expect(() => Tokenizer.fromJSON([1, 2])).toThrow(ModelFormatError);
    expect(() => Tokenizer.fromJSON({ version: '1.0' })).toThrow(/tokenizer\.json: "model" is missing/);
    expect(() => Tokenizer.fromJSON({ model: { type: 'Nonsense' } })).toThrow(/tokenizer\.json: could not be loaded/);
  });
});

describe('chat template', () => {
  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi!' },
  ];

  it('renders the fixture ChatML template, with and without the generation prompt', () => {
    const tokenizer = fixtureTokenizer();
    const chat = '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n';
    expect(tokenizer.applyChatTemplate(messages)).toBe(chat);
    expect(tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true })).toBe(chat + '<|im_start|>assistant\n');
    const ids = tokenizer.encode(tokenizer.applyChatTemplate(messages));
    expect(ids.filter((id) => id === 1)).toHaveLength(2);
  });

  it('passes the special tokens by name and picks the "default" of named templates', () => {
    const config = {
      ...fixtureJson('smollm2', 'tokenizer_config.json'),
      chat_template: [
        { name: 'tool_use', template: 'tools' },
        { name: 'default', template: '{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}' },
      ],
    };
    const tokenizer = Tokenizer.fromJSON(fixtureJson('smollm2', 'tokenizer.json'), config);
    expect(tokenizer.applyChatTemplate(messages)).toBe('<|endoftext|>[system]Be brief.<|endoftext|>[user]Hi!<|endoftext|>');
  });

  it('is a clear error when the model has no chat template', () => {
    const { chat_template: _, ...config } = fixtureJson('smollm2', 'tokenizer_config.json');
    const tokenizer = Tokenizer.fromJSON(fixtureJson('smollm2', 'tokenizer.json'), config);
    expect(tokenizer.chatTemplate).toBeNull();
    expect(() => tokenizer.applyChatTemplate(messages)).toThrow(/tokenizer_config\.json: has no chat_template/);
  });

  it('loadTokenizer reads a folder: chat_template.jinja wins, no tokenizer.json means null', async () => {
    const files = fixtureFiles('qwen2');
    files.set('chat_template.jinja', new TextEncoder().encode('{{ messages[0].content }}!'));
    const tokenizer = await loadTokenizer(memoryFiles(files));
    expect(tokenizer?.applyChatTemplate(messages)).toBe('Be brief.!');
    files.delete('tokenizer_config.json');
    expect((await loadTokenizer(memoryFiles(files)))?.bosTokenId).toBeNull();
    files.delete('tokenizer.json');
    expect(await loadTokenizer(memoryFiles(files))).toBeNull();
  });
});
