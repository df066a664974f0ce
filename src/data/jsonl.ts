// JSON Lines datasets, one object per line, in the shapes Hugging Face's trainers (TRL) accept:
//   {"prompt": ..., "completion": ...}   the loss counts the completion only
//   {"text": ...}                         the loss counts every token
//   {"messages": [{"role", "content"}…]}  a conversation whose last assistant reply is the completion
// A record may name its split ("split": "train", "validation" or "test"; see ./split.ts); other fields
// (ids, metadata) are ignored. A `.json` file holding one JSON array of such objects is
// read as well, since many published datasets are saved that way.

import { jsonTooDeepAt, MAX_JSON_DEPTH } from '../model/json';
import { DataError } from './errors';
import type { ChatFormatter, ChatMessage, CompletionExample, Example } from './example';
import { splitField } from './split';
import { forEachLine } from './lines';

type Fail = (detail: string) => DataError;

const SHAPES = 'expected {"prompt","completion"}, {"text"} or {"messages"}';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(object: Record<string, unknown>, key: string, fail: Fail): string {
  if (!(key in object)) throw fail(`missing "${key}"`);
  const value = object[key];
  if (typeof value !== 'string') throw fail(`"${key}" is ${describe(value)}, expected a string`);
  return value;
}

function parseMessages(value: unknown, fail: Fail): ChatMessage[] {
  if (!Array.isArray(value)) throw fail(`"messages" is ${describe(value)}, expected a list of {"role","content"}`);
  return value.map((message: unknown, i) => {
    if (!isObject(message)) throw fail(`messages[${i}] is ${describe(message)}, expected {"role","content"}`);
    const failHere: Fail = (detail) => fail(`messages[${i}]: ${detail}`);
    return { role: stringField(message, 'role', failHere), content: stringField(message, 'content', failHere) };
  });
}

/**
 * The conversation up to the last assistant reply, rendered with add_generation_prompt, is the
 * prompt; the completion is what the full rendering adds after it, so it carries the template's
 * end-of-turn marker (e.g. `<|im_end|>`) and the model learns to end its turn. A template whose full
 * rendering does not extend the prompt's (some rewrite earlier turns) falls back to the reply's text.
 */
function fromMessages(value: unknown, chat: ChatFormatter | null, fail: Fail): CompletionExample {
  const messages = parseMessages(value, fail);
  const last = messages.findLastIndex((m) => m.role === 'assistant');
  if (last < 0) throw fail('"messages" has no assistant message to learn from');
  if (last !== messages.length - 1) {
    throw fail(`"messages" goes on after its last assistant message (messages[${last}]): end each conversation with the assistant's reply`);
  }
  if (chat === null || chat.chatTemplate === null) {
    throw fail('"messages" needs a chat template and this model has none (a base model?): use {"prompt","completion"} rows or a chat model');
  }
  let prompt: string;
  let full: string;
  try {
    prompt = chat.applyChatTemplate(messages.slice(0, last), { addGenerationPrompt: true });
    full = chat.applyChatTemplate(messages);
  } catch (error) {
    throw fail(`the chat template could not render "messages" (${(error as Error).message})`);
  }
  const completion = full.startsWith(prompt) ? full.slice(prompt.length) : messages[last].content;
  return { prompt, completion, templated: true };
}

/** One parsed JSON value as an example, with its split when it names one. */
export function exampleFromJson(value: unknown, chat: ChatFormatter | null, fail: Fail): Example {
  const example = exampleShape(value, chat, fail);
  const split = isObject(value) ? splitField(value.split, fail) : undefined;
  return split === undefined ? example : { ...example, split };
}

/** Prompt/completion wins over text when a record has both. */
function exampleShape(value: unknown, chat: ChatFormatter | null, fail: Fail): Example {
  if (!isObject(value)) throw fail(`is ${describe(value)}, ${SHAPES}`);
  if ('messages' in value) return fromMessages(value.messages, chat, fail);
  if ('prompt' in value || 'completion' in value) {
    return { prompt: stringField(value, 'prompt', fail), completion: stringField(value, 'completion', fail) };
  }
  if ('text' in value) return { text: stringField(value, 'text', fail) };
  const keys = Object.keys(value);
  const named = keys.length === 0 ? 'no fields' : `fields ${keys.slice(0, 6).map((k) => `"${k}"`).join(', ')}${keys.length > 6 ? ', …' : ''}`;
  throw fail(`unknown shape (${named}): ${SHAPES}`);
}

/**
 * JSON.parse behind the nesting cap of src/model/json.ts: a file of `[[[[…` would otherwise cost the
 * parser seconds and gigabytes before it fails.
 */
function parseJson(text: string, fail: Fail): unknown {
  const deep = jsonTooDeepAt(text);
  if (deep >= 0) throw fail(`invalid JSON (nested deeper than ${MAX_JSON_DEPTH} levels at character ${deep + 1})`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw fail(`invalid JSON (${(error as Error).message})`);
  }
}

function parseJsonArray(text: string, file: string, chat: ChatFormatter | null): Example[] {
  const items = parseJson(text, (detail) => new DataError(file, detail));
  if (!Array.isArray(items)) throw new DataError(file, `is ${describe(items)}, expected a JSON array or one JSON object per line`);
  return items.map((item, i) => exampleFromJson(item, chat, (detail) => new DataError(file, `item ${i + 1}: ${detail}`)));
}

/** Blank lines are skipped; any other bad line is an error naming its number, never skipped silently. */
export function parseJsonl(text: string, file: string, chat: ChatFormatter | null): Example[] {
  // A JSON Lines record is an object, so a file opening with `[` can only be one JSON array.
  if (text.trimStart().startsWith('[')) return parseJsonArray(text, file, chat);
  const examples: Example[] = [];
  forEachLine(text, file, (line, lineNumber) => {
    if (line.trim() === '') return;
    const fail: Fail = (detail) => new DataError(file, detail, lineNumber);
    const value = parseJson(line, fail);
    examples.push({ ...exampleFromJson(value, chat, fail), line: lineNumber });
  });
  return examples;
}
