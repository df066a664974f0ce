// The byte-level conventions of GPT-2's tokenizer, as the `tokenizers` library's ByteLevel
// pre-tokenizer and decoder apply them: every byte is shown as one printable character, and text is
// cut into pre-tokens by one fixed regex before BPE, so merges never cross a word boundary.

/** The special tokens at ids 0-2 (as in SmolLM2): end of text (BOS/EOS/pad), then ChatML's turn markers. */
export const END_OF_TEXT = '<|endoftext|>';
export const SPECIAL_TOKENS = [END_OF_TEXT, '<|im_start|>', '<|im_end|>'] as const;

/**
 * GPT-2's pre-tokenizer pattern (the ByteLevel pre-tokenizer's `use_regex`): English contractions,
 * letters and digits each with an optional leading space, runs of other symbols, and whitespace that
 * leaves its last space to the next word.
 */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to code points from 256 up. */
export function byteChars(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const chars: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) chars.push(String.fromCharCode(printable(b) ? b : next++));
  return chars;
}

const BYTE_CHARS = byteChars();
const encoder = new TextEncoder();

/** A pre-token's UTF-8 bytes, one character per byte, as the BPE model sees it. */
export function toByteLevel(pretoken: string): string {
  let out = '';
  for (const b of encoder.encode(pretoken)) out += BYTE_CHARS[b];
  return out;
}

/** The pre-tokens of a text without special tokens, in byte-level form. */
export function pretokenize(text: string): string[] {
  return (text.match(GPT2_PATTERN) ?? []).map(toByteLevel);
}
