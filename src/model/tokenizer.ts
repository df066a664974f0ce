// A model's tokenizer from its `tokenizer.json` (the `tokenizers` library's serialisation) and
// `tokenizer_config.json` (special tokens, chat template), run by the maintained
// @huggingface/tokenizers package; chat templates are rendered by @huggingface/jinja as
// transformers' `apply_chat_template` does.

import { Template } from '@huggingface/jinja';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import type { ModelFiles } from './bytes';
import { readJsonFile, readText } from './bytes';
import { ModelFormatError } from './errors';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
/** Newer transformers save the chat template in its own file, which takes precedence. */
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

export interface ChatMessage {
  role: string;
  content: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A special token in tokenizer_config.json: a string, or (older files) an AddedToken object. */
function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return null;
}

/**
 * `chat_template` is a string, or a list of `{name, template}` of which transformers uses "default"
 * (a separate chat_template.jinja is put in its place by loadTokenizer).
 */
function chatTemplateOf(config: Json): string | null {
  const value = config.chat_template;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.find((t) => isObject(t) && t.name === 'default');
    return isObject(named) && typeof named.template === 'string' ? named.template : null;
  }
  return null;
}

/** A value in an error message: strings quoted and cut short, containers by kind, the rest as written. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/**
 * The largest token id of tokenizer.json: in its model's vocabulary (a token -> id map, or a
 * Unigram list whose positions are the ids) and its added tokens, each checked to be a
 * non-negative integer. The tokenizer library stores ids as array indices without checking them,
 * so a fractional or negative id would reach the model as garbage; and its vocabulary becomes a
 * sparse array as long as the largest id, so the size is counted here from the ids rather than by
 * walking that array (which takes minutes for a single id of 1e9).
 */
function largestTokenId(model: Json, addedTokens: unknown): number {
  if (!isObject(model.vocab) && !Array.isArray(model.vocab)) throw new ModelFormatError(TOKENIZER_FILE, '"model.vocab" is missing or not a vocabulary');
  let largest = Array.isArray(model.vocab) ? model.vocab.length - 1 : -1;
  const check = (id: unknown, where: string): void => {
    if (!Number.isSafeInteger(id) || (id as number) < 0) throw new ModelFormatError(TOKENIZER_FILE, `${where} has id ${shown(id)}, not a non-negative integer`);
    largest = Math.max(largest, id as number);
  };
  if (isObject(model.vocab)) for (const [token, id] of Object.entries(model.vocab)) check(id, `model.vocab[${shown(token)}]`);
  if (Array.isArray(addedTokens)) addedTokens.forEach((token: unknown, i) => check(isObject(token) ? token.id : undefined, `added_tokens[${i}]`));
  return largest;
}

export class Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  readonly chatTemplate: string | null;
  private readonly specialTokens: Record<string, string | null>;
  private template: Template | null = null;

  private constructor(
    private readonly inner: HfTokenizer,
    config: Json,
    largestId: number,
  ) {
    // Ids need not be contiguous (added tokens may sit past the model's vocabulary): count to the largest.
    this.vocabSize = largestId + 1;
    this.specialTokens = {
      bos_token: tokenContent(config.bos_token),
      eos_token: tokenContent(config.eos_token),
      pad_token: tokenContent(config.pad_token),
      unk_token: tokenContent(config.unk_token),
    };
    const idOf = (token: string | null): number | null => (token === null ? null : (inner.token_to_id(token) ?? null));
    this.bosTokenId = idOf(this.specialTokens.bos_token);
    this.eosTokenId = idOf(this.specialTokens.eos_token);
    this.padTokenId = idOf(this.specialTokens.pad_token);
    this.chatTemplate = chatTemplateOf(config);
  }

  /** From parsed tokenizer.json and (optionally) tokenizer_config.json contents. */
  static fromJSON(tokenizerJson: unknown, tokenizerConfig: unknown = {}): Tokenizer {
    if (!isObject(tokenizerJson)) throw new ModelFormatError(TOKENIZER_FILE, 'is not a JSON object');
    const config = tokenizerConfig ?? {};
    if (!isObject(config)) throw new ModelFormatError(TOKENIZER_CONFIG_FILE, 'is not a JSON object');
    if (!isObject(tokenizerJson.model)) throw new ModelFormatError(TOKENIZER_FILE, '"model" is missing');
    let inner: HfTokenizer;
    try {
      inner = new HfTokenizer({ added_tokens: [], ...tokenizerJson }, config);
    } catch (error) {
      throw new ModelFormatError(TOKENIZER_FILE, `could not be loaded (${(error as Error).message})`);
    }
    return new Tokenizer(inner, config, largestTokenId(tokenizerJson.model, tokenizerJson.added_tokens));
  }

  /** Token ids of `text`; special tokens (BOS...) are added as the post-processor says unless turned off. */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    const ids = this.inner.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
    // The library gives a piece missing from the vocabulary the id of model.unk_token without
    // checking that the vocabulary holds that token: refuse an id the model cannot look up.
    for (const id of ids) {
      if (!Number.isSafeInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new ModelFormatError(TOKENIZER_FILE, `maps part of the text to ${shown(id)}, not a token id below ${this.vocabSize} (is model.unk_token in the vocabulary?)`);
      }
    }
    return ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    // The underlying decoder rejects an empty list; the empty sequence is the empty string.
    if (ids.length === 0) return '';
    return this.inner.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | null {
    return this.inner.token_to_id(token) ?? null;
  }

  idToToken(id: number): string | null {
    return this.inner.id_to_token(id) ?? null;
  }

  /**
   * Renders a conversation with the model's chat template, given the same variables transformers
   * passes: messages, add_generation_prompt, and the special tokens by name.
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string {
    if (this.chatTemplate === null) {
      throw new ModelFormatError(TOKENIZER_CONFIG_FILE, 'has no chat_template: this model has no chat format (a base model?)');
    }
    try {
      this.template ??= new Template(this.chatTemplate);
      return this.template.render({
        messages: messages.map((m) => ({ ...m })),
        add_generation_prompt: options.addGenerationPrompt ?? false,
        ...this.specialTokens,
      });
    } catch (error) {
      throw new ModelFormatError(TOKENIZER_CONFIG_FILE, `chat_template failed to render (${(error as Error).message})`);
    }
  }
}

/** The folder's tokenizer, or null when it has no tokenizer.json. */
export async function loadTokenizer(files: ModelFiles): Promise<Tokenizer | null> {
  const json = await readJsonFile(files, TOKENIZER_FILE);
  if (json === null) return null;
  const config = (await readJsonFile(files, TOKENIZER_CONFIG_FILE)) ?? {};
  const templateFile = await files.open(CHAT_TEMPLATE_FILE);
  if (templateFile && isObject(config)) config.chat_template = await readText(templateFile);
  return Tokenizer.fromJSON(json, config);
}
