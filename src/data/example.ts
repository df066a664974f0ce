// What every parser produces: one training example per record, with the line it came from so that
// later stages (tokenisation, the all-too-long check) can still point at the file.

import type { ChatMessage } from '../model/tokenizer';

/** A split a record may name for itself (the names Hugging Face's datasets use). */
export type SplitName = 'train' | 'validation' | 'test';

export interface CompletionExample {
  prompt: string;
  completion: string;
  /**
   * True when the text was rendered by the model's chat template, which writes any BOS itself:
   * such text is encoded without the tokenizer's special tokens, as transformers'
   * `apply_chat_template(tokenize=True)` does.
   */
  templated?: boolean;
  line?: number;
  split?: SplitName;
}

export interface TextExample {
  text: string;
  line?: number;
  split?: SplitName;
}

export type Example = CompletionExample | TextExample;

export function isCompletion(example: Example): example is CompletionExample {
  return 'completion' in example;
}

/** The part of Tokenizer that renders conversations; a model without a template has `chatTemplate: null`. */
export interface ChatFormatter {
  readonly chatTemplate: string | null;
  applyChatTemplate(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean }): string;
}

export type { ChatMessage };
