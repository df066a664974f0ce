// Examples to token ids and loss masks. A prompt/completion example is encode(prompt) ++
// encode(completion) ++ EOS, with the loss on the completion and the EOS (so the model learns to
// stop); a text example counts every token. The two parts are encoded separately so that the mask
// boundary is exact, as TRL does for prompt-completion data.

import { isCompletion, type ChatFormatter, type Example } from './example';

/** The part of the model's Tokenizer (src/model/tokenizer.ts) that the data pipeline uses. */
export interface DataTokenizer extends ChatFormatter {
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
}

/** A tokenised example, or one row cut from examples: ids and which of them the loss counts. */
export interface TokenSequence {
  ids: Uint32Array;
  /** 1 where the token is a label (completion, EOS, every token of text), 0 where not (prompt). */
  mask: Uint8Array;
  /** Prompt/completion sequences are truncated when too long; text is cut into windows. */
  kind: 'completion' | 'text';
  /** Source line of the example, for messages. */
  line?: number;
}

/** How a tokenizer frames a sequence, worked out once per dataset. */
export interface TokenPlan {
  /** What the tokenizer puts before a text when it adds special tokens: [BOS] for Llama, [] for GPT-2. */
  prefix: number[];
  /** Appended after every completion and text; null when the tokenizer has no EOS token. */
  eos: number | null;
  /** Fills the right of short rows: the pad token, else EOS, else 0 (never a label, so any id works). */
  pad: number;
}

/**
 * The special tokens the tokenizer adds are read off a probe rather than assumed from bos_token:
 * GPT-2 style tokenizers define a BOS they never add. A suffix the post-processor may add is
 * ignored, since the EOS after the completion is placed here.
 */
export function tokenPlan(tokenizer: DataTokenizer): TokenPlan {
  const probe = 'a';
  const plain = tokenizer.encode(probe, { addSpecialTokens: false });
  const framed = tokenizer.encode(probe, { addSpecialTokens: true });
  let prefix: number[] = [];
  for (let k = 0; k + plain.length <= framed.length; k++) {
    if (plain.every((id, i) => framed[k + i] === id)) {
      prefix = framed.slice(0, k);
      break;
    }
  }
  return { prefix, eos: tokenizer.eosTokenId, pad: tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0 };
}

function sequence(parts: Array<{ ids: readonly number[]; counted: boolean }>, kind: TokenSequence['kind'], line?: number): TokenSequence {
  const length = parts.reduce((sum, part) => sum + part.ids.length, 0);
  const ids = new Uint32Array(length);
  const mask = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    ids.set(part.ids, at);
    if (part.counted) mask.fill(1, at, at + part.ids.length);
    at += part.ids.length;
  }
  return line === undefined ? { ids, mask, kind } : { ids, mask, kind, line };
}

/** The completion's tokens as training sees them: encode(completion) ++ EOS. */
export function completionIds(completion: string, tokenizer: DataTokenizer, plan: TokenPlan): number[] {
  const ids = tokenizer.encode(completion, { addSpecialTokens: false });
  return plan.eos === null ? ids : [...ids, plan.eos];
}

/** One example at full length; truncation is a separate step (fitSequence). */
export function tokenizeExample(example: Example, tokenizer: DataTokenizer, plan: TokenPlan): TokenSequence {
  if (isCompletion(example)) {
    // Chat-template text already holds whatever BOS the model wants.
    const prefix = example.templated ? [] : plan.prefix;
    const prompt = [...prefix, ...tokenizer.encode(example.prompt, { addSpecialTokens: false })];
    const parts = [
      { ids: prompt, counted: false },
      { ids: completionIds(example.completion, tokenizer, plan), counted: true },
    ];
    return sequence(parts, 'completion', example.line);
  }
  const text = [...plan.prefix, ...tokenizer.encode(example.text, { addSpecialTokens: false })];
  if (plan.eos !== null) text.push(plan.eos);
  return sequence([{ ids: text, counted: true }], 'text', example.line);
}

/**
 * Loss terms a row yields: the loss at position t predicts token t+1, so a label at position 0 has
 * nothing before it and never counts.
 */
export function countTargets(row: TokenSequence): number {
  let count = 0;
  for (let t = 1; t < row.mask.length; t++) count += row.mask[t];
  return count;
}

function slice(seq: TokenSequence, start: number, end: number): TokenSequence {
  const row = { ids: seq.ids.subarray(start, end), mask: seq.mask.subarray(start, end), kind: seq.kind };
  return seq.line === undefined ? row : { ...row, line: seq.line };
}

export type FitOutcome =
  | { status: 'ok'; rows: TokenSequence[]; truncated: boolean; split: boolean }
  /** Its completion lies entirely past seqLen. */
  | { status: 'too-long' }
  /** Nothing to learn even at full length (an empty text without EOS, say). */
  | { status: 'empty' };

/**
 * Rows of at most seqLen tokens from one sequence. A prompt/completion keeps its start (the
 * prompt must stay whole for the completion to make sense); a text is cut into consecutive
 * windows so that no text is lost. Rows with no target are left out.
 */
export function fitSequence(seq: TokenSequence, seqLen: number): FitOutcome {
  if (countTargets(seq) === 0) return { status: 'empty' };
  if (seq.ids.length <= seqLen) return { status: 'ok', rows: [seq], truncated: false, split: false };
  if (seq.kind === 'completion') {
    // A copy, so the dropped tail's memory is released with the full sequence.
    const row = { ...seq, ids: seq.ids.slice(0, seqLen), mask: seq.mask.slice(0, seqLen) };
    return countTargets(row) === 0 ? { status: 'too-long' } : { status: 'ok', rows: [row], truncated: true, split: false };
  }
  const rows: TokenSequence[] = [];
  for (let start = 0; start < seq.ids.length; start += seqLen) {
    const row = slice(seq, start, Math.min(start + seqLen, seq.ids.length));
    if (countTargets(row) > 0) rows.push(row);
  }
  return { status: 'ok', rows, truncated: false, split: true };
}

/** Number of prompt tokens (mask 0 before the first label): what a too-long message reports. */
export function promptLength(seq: TokenSequence): number {
  const first = seq.mask.indexOf(1);
  return first < 0 ? seq.ids.length : first;
}
