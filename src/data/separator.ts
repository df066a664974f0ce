// What stands between a prompt and its completion. The two are encoded separately (./tokenize.ts),
// so text that runs them together ("What is 4 plus 4?" + "8") trains the model on
// "What is 4 plus 4?8". The separator is put in only where the data has none of its own: when the
// prompt does not end with whitespace and the completion does not start with it, and both hold text.
// Data that carries its own separator (the samples' `Answer:` + ` 6`) is left as it is, token for token.
//
// A space goes at the start of the completion and a newline at the end of the prompt, as the two
// usually fall in byte-level BPE text: a space belongs to the word after it (` 8` is how the
// tokenizer sees a word after a space, and a prompt ending in a lone space is a token the model
// rarely saw before a word), while a newline ends the line before it, so the answer starts a line of
// its own and its first token is still the answer's (which label accuracy reads, docs/gora.md §14).

import { isCompletion, type CompletionExample, type Example } from './example';

export type Separator = 'space' | 'newline' | 'none';

export const SEPARATORS: readonly Separator[] = ['space', 'newline', 'none'];

/** The samples' convention (`Sentiment:` + ` positive`): a space. */
export const DEFAULT_SEPARATOR: Separator = 'space';

const WHITESPACE_END = /\s$/u;
const WHITESPACE_START = /^\s/u;

/** Prompt and completion, both holding text, with no whitespace where they meet. */
export function meetsWithoutSpace(prompt: string, completion: string): boolean {
  return prompt !== '' && completion !== '' && !WHITESPACE_END.test(prompt) && !WHITESPACE_START.test(completion);
}

/**
 * The example with the separator put in where it has none (see above); text examples, examples
 * rendered by a chat template (whose template already decides the layout) and `none` are unchanged.
 */
export function joinExample<E extends Example>(example: E, separator: Separator): E {
  if (separator === 'none' || !isCompletion(example) || example.templated) return example;
  if (!meetsWithoutSpace(example.prompt, example.completion)) return example;
  const joined: CompletionExample = separator === 'space' ? { ...example, completion: ` ${example.completion}` } : { ...example, prompt: `${example.prompt}\n` };
  return joined as E;
}

/** A prompt/completion example whose two parts still run together (after joinExample). */
export function isGlued(example: Example): example is CompletionExample {
  return isCompletion(example) && !example.templated && meetsWithoutSpace(example.prompt, example.completion);
}

/** Where a glued example's two parts meet, shortened for a message: `…4 plus 4?8`. */
export function gluedExcerpt(example: CompletionExample, chars = 16): string {
  const head = example.prompt.length > chars ? `…${example.prompt.slice(-chars)}` : example.prompt;
  const tail = example.completion.length > chars ? `${example.completion.slice(0, chars)}…` : example.completion;
  return `${head}${tail}`;
}
