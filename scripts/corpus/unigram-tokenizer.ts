// A SentencePiece-style Unigram tokenizer in tokenizer.json's layout, as T5's tokenizers are saved:
// <pad> = 0, </s> = 1, <unk> = 2, words prefixed with ▁ (Metaspace), every sequence ended with </s>
// (TemplateProcessing). Its pieces: ▁, every printable ASCII character, and the given words, which
// score higher than spelling them out, so a known word is one piece and any other text still encodes.

const SPECIALS = ['<pad>', '</s>', '<unk>'];

export function unigramTokenizerFiles(words: readonly string[], size: number): { tokenizerJson: string; tokenizerConfig: string } {
  const characters = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i));
  const pieces: Array<[string, number]> = [...SPECIALS.map((s): [string, number] => [s, 0]), ['▁', -3], ...characters.map((c): [string, number] => [c, -8])];
  for (const [rank, word] of words.entries()) {
    if (pieces.length >= size) break;
    pieces.push([`▁${word}`, -4 - rank / 1000]);
  }
  const metaspace = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true };
  const eos = { SpecialToken: { id: '</s>', type_id: 0 } };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
    pre_tokenizer: metaspace,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, eos],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, eos, { Sequence: { id: 'B', type_id: 0 } }, eos],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: 2, vocab: pieces, byte_fallback: false },
  };
  const config = { tokenizer_class: 'T5Tokenizer', eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>', extra_ids: 0, additional_special_tokens: [], model_max_length: 512 };
  return { tokenizerJson: JSON.stringify(tokenizer, null, 2) + '\n', tokenizerConfig: JSON.stringify(config, null, 2) + '\n' };
}

/** The words of a text by how often they occur (ties in code-point order). */
export function frequentWords(text: string): string[] {
  const counts = new Map<string, number>();
  for (const word of text.split(/\s+/)) if (/^[A-Za-z0-9']+$/.test(word)) counts.set(word, (counts.get(word) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([word]) => word);
}
