import { describe, expect, it } from 'vitest';
import { countTargets, fitSequence, tokenizeExample, tokenPlan, type DataTokenizer, type TokenSequence } from '../../src/data/tokenize';
import { bosTokenizer, fixtureTokenizer } from './helpers';

const EOS = 0;

function seq(ids: number[], mask: number[], kind: TokenSequence['kind'] = 'completion'): TokenSequence {
  return { ids: Uint32Array.from(ids), mask: Uint8Array.from(mask), kind };
}

function plain(row: TokenSequence): { ids: number[]; mask: number[] } {
  return { ids: [...row.ids], mask: [...row.mask] };
}

/** A stand-in tokenizer for the special-token fallbacks: one id per character. */
function charTokenizer(special: { bos?: number | null; eos?: number | null; pad?: number | null }): DataTokenizer {
  return {
    bosTokenId: special.bos ?? null,
    eosTokenId: special.eos ?? null,
    padTokenId: special.pad ?? null,
    chatTemplate: null,
    applyChatTemplate: () => '',
    encode: (text) => [...text].map((c) => c.charCodeAt(0)),
  };
}

describe('tokenisation and masking', () => {
  it('masks the prompt and counts the completion and EOS (hand-checked ids)', async () => {
    const tokenizer = await fixtureTokenizer();
    const plan = tokenPlan(tokenizer);
    expect(plan).toEqual({ prefix: [], eos: EOS, pad: 0 });
    // "The" 267, "Ġcat" 294 | "Ġs" 297, "at" 268 | <|endoftext|> 0
    expect(tokenizer.encode('The cat')).toEqual([267, 294]);
    expect(tokenizer.encode(' sat')).toEqual([297, 268]);
    const row = tokenizeExample({ prompt: 'The cat', completion: ' sat', line: 4 }, tokenizer, plan);
    expect(plain(row)).toEqual({ ids: [267, 294, 297, 268, EOS], mask: [0, 0, 1, 1, 1] });
    expect(row.kind).toBe('completion');
    expect(row.line).toBe(4);
  });

  it('encodes the parts separately, so the boundary is exact even where BPE would merge across it', async () => {
    const tokenizer = await fixtureTokenizer();
    const prompt = 'The c';
    const completion = 'at';
    const row = tokenizeExample({ prompt, completion }, tokenizer, tokenPlan(tokenizer));
    const expected = [...tokenizer.encode(prompt), ...tokenizer.encode(completion), EOS];
    expect([...row.ids]).toEqual(expected);
    expect([...row.mask]).toEqual(expected.map((_, i) => (i < tokenizer.encode(prompt).length ? 0 : 1)));
  });

  it('puts the BOS a tokenizer adds before the prompt only, and none before chat-template text', async () => {
    const tokenizer = bosTokenizer();
    const plan = tokenPlan(tokenizer);
    expect(plan.prefix).toEqual([1]);
    expect(plain(tokenizeExample({ prompt: 'The cat', completion: ' sat' }, tokenizer, plan))).toEqual({
      ids: [1, 267, 294, 297, 268, EOS],
      mask: [0, 0, 0, 1, 1, 1],
    });
    const chat = (await fixtureTokenizer()).applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true });
    const templated = tokenizeExample({ prompt: chat, completion: 'yo<|im_end|>\n', templated: true }, tokenizer, plan);
    expect([...templated.ids]).toEqual([...tokenizer.encode(chat, { addSpecialTokens: false }), 124, 114, 2, 13, EOS]);
    expect(templated.ids[0]).toBe(1); // the template's own <|im_start|>, not an added BOS
  });

  it('counts every token of a text, BOS and EOS included', async () => {
    const tokenizer = bosTokenizer();
    const row = tokenizeExample({ text: 'The dog' }, tokenizer, tokenPlan(tokenizer));
    expect(plain(row)).toEqual({ ids: [1, 267, 295, EOS], mask: [1, 1, 1, 1] });
    expect(row.kind).toBe('text');
  });

  it('pads with the pad token, else EOS, else 0; adds no EOS when there is none', () => {
    expect(tokenPlan(charTokenizer({ eos: 9, pad: 7 }))).toEqual({ prefix: [], eos: 9, pad: 7 });
    expect(tokenPlan(charTokenizer({ eos: 9 })).pad).toBe(9);
    const none = charTokenizer({});
    const plan = tokenPlan(none);
    expect(plan).toEqual({ prefix: [], eos: null, pad: 0 });
    expect(plain(tokenizeExample({ prompt: 'ab', completion: 'c' }, none, plan))).toEqual({ ids: [97, 98, 99], mask: [0, 0, 1] });
  });
});

describe('fitting to the sequence length', () => {
  it('counts a target for every label after position 0', () => {
    expect(countTargets(seq([5, 6, 7], [1, 1, 1]))).toBe(2);
    expect(countTargets(seq([5, 6, 7], [0, 0, 1]))).toBe(1);
    expect(countTargets(seq([5], [1]))).toBe(0);
  });

  it('keeps the start of a long prompt/completion and reports it truncated', () => {
    const long = seq([1, 2, 3, 4, 5, 6], [0, 0, 1, 1, 1, 1]);
    const outcome = fitSequence(long, 4);
    expect(outcome.status).toBe('ok');
    if (outcome.status !== 'ok') return;
    expect(outcome.truncated).toBe(true);
    expect(outcome.rows.map(plain)).toEqual([{ ids: [1, 2, 3, 4], mask: [0, 0, 1, 1] }]);
    expect(fitSequence(long, 6)).toEqual({ status: 'ok', rows: [long], truncated: false, split: false });
  });

  it('drops an example whose completion is cut off entirely', () => {
    const row = seq([1, 2, 3, 4, 5], [0, 0, 0, 1, 1]);
    expect(fitSequence(row, 3)).toEqual({ status: 'too-long' });
    // One completion token left at the last position is still a target.
    expect(fitSequence(row, 4).status).toBe('ok');
    expect(fitSequence(seq([EOS], [1]), 4)).toEqual({ status: 'empty' });
  });

  it('cuts a long text into windows and leaves out a window with no target', () => {
    const outcome = fitSequence(seq([1, 2, 3, 4, 5, 6, 7], [1, 1, 1, 1, 1, 1, 1], 'text'), 3);
    expect(outcome.status === 'ok' && outcome.split).toBe(true);
    if (outcome.status !== 'ok') return;
    expect(outcome.rows.map((r) => [...r.ids])).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });
});
