// Byte-level BPE training (Sennrich et al. 2016, as GPT-2 and the `tokenizers` library's BpeTrainer
// do it): the text is cut into pre-tokens, identical pre-tokens are counted once with their
// frequency, and the most frequent adjacent pair of symbols is merged into a new symbol until the
// vocabulary is full.
//
// Deterministic: the result depends only on the pre-token counts. Ties between equally frequent
// pairs go to the pair whose (left, right) token strings sort first.
//
// Efficient: pair counts are kept up to date incrementally, and each pair remembers the words it
// occurs in, so a merge only revisits the words that contain it (the naive loop re-counts every
// pair of every word after each merge).

import { byteChars, GPT2_PATTERN, SPECIAL_TOKENS } from './byte-level';

export interface TrainedBpe {
  /** Token strings (byte-level form) by id: the special tokens, the 256 bytes, then the merges' results. */
  tokens: string[];
  /** In the order learned, which is the priority the BPE model applies them in. */
  merges: Array<[string, string]>;
}

/** Adds the text's pre-tokens (as GPT-2's regex cuts them, before the byte-level mapping) to `counts`. */
export function countPretokens(text: string, counts: Map<string, number> = new Map()): Map<string, number> {
  // One exec loop rather than text.match: a corpus of millions of pre-tokens never becomes one array.
  const pattern = new RegExp(GPT2_PATTERN.source, GPT2_PATTERN.flags);
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  return counts;
}

/** Pair keys pack two token ids into one number; ids stay below this. */
const KEY = 1 << 16;

/** `word` with every non-overlapping (a, b), left to right, replaced by `id`. */
function mergeWord(word: number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
      out.push(id);
      i++;
    } else {
      out.push(word[i]);
    }
  }
  return out;
}

function containsPair(word: number[], a: number, b: number): boolean {
  for (let i = 0; i + 1 < word.length; i++) if (word[i] === a && word[i + 1] === b) return true;
  return false;
}

/**
 * Learns merges until the vocabulary (special tokens, 256 bytes, merged tokens) holds `vocabSize`
 * tokens, or no pair is left to merge. `counts` maps raw pre-tokens to their frequency.
 */
export function trainBpe(counts: ReadonlyMap<string, number>, vocabSize: number): TrainedBpe {
  if (vocabSize > KEY) throw new RangeError(`vocabSize ${vocabSize} exceeds ${KEY}`);
  const tokens: string[] = [...SPECIAL_TOKENS, ...byteChars()];
  const idOf = new Map(tokens.map((t, id) => [t, id]));
  const firstByte = SPECIAL_TOKENS.length;
  const encoder = new TextEncoder();

  const words: number[][] = [];
  const freq: number[] = [];
  for (const [pretoken, count] of counts) {
    words.push(Array.from(encoder.encode(pretoken), (b) => firstByte + b));
    freq.push(count);
  }

  const pairCount = new Map<number, number>();
  // Words a pair has occurred in; may hold stale or repeated entries, which a merge skips.
  const pairWords = new Map<number, number[]>();
  const count = (word: number[], w: number, sign: 1 | -1, onlyWith = -1): void => {
    for (let i = 0; i + 1 < word.length; i++) {
      const key = word[i] * KEY + word[i + 1];
      const c = (pairCount.get(key) ?? 0) + sign * freq[w];
      if (c === 0) pairCount.delete(key);
      else pairCount.set(key, c);
      // Pairs the merge left alone already list this word; only pairs with the new token need it.
      if (sign > 0 && (onlyWith < 0 || word[i] === onlyWith || word[i + 1] === onlyWith)) {
        let list = pairWords.get(key);
        if (list === undefined) pairWords.set(key, (list = []));
        list.push(w);
      }
    }
  };
  words.forEach((word, w) => count(word, w, 1));

  const merges: Array<[string, string]> = [];
  const visited = new Int32Array(words.length).fill(-1);
  while (tokens.length < vocabSize) {
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, c] of pairCount) {
      if (c < bestCount) continue;
      if (c === bestCount) {
        const [a, b] = [Math.floor(key / KEY), key % KEY];
        const [ba, bb] = [Math.floor(bestKey / KEY), bestKey % KEY];
        if (tokens[a] > tokens[ba] || (tokens[a] === tokens[ba] && tokens[b] >= tokens[bb])) continue;
      }
      bestKey = key;
      bestCount = c;
    }
    if (bestKey < 0) break;

    const a = Math.floor(bestKey / KEY);
    const b = bestKey % KEY;
    const text = tokens[a] + tokens[b];
    // Two different merges can spell the same token ("a"+"bc", "ab"+"c"): it keeps its first id.
    let id = idOf.get(text);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(text);
      idOf.set(text, id);
    }
    merges.push([tokens[a], tokens[b]]);

    const step = merges.length;
    for (const w of pairWords.get(bestKey) ?? []) {
      if (visited[w] === step || !containsPair(words[w], a, b)) continue;
      visited[w] = step;
      count(words[w], w, -1);
      words[w] = mergeWord(words[w], a, b, id);
      count(words[w], w, 1, id);
    }
    pairWords.delete(bestKey);
    // Every occurrence was just merged away; a count left over would pick the same pair forever.
    if (pairCount.has(bestKey)) throw new Error(`merge ${step} (${tokens[a]} ${tokens[b]}) left occurrences behind`);
  }
  return { tokens, merges };
}
