// Decoding (greedy, or with a sampler) and label choice with T5 on the GPU. Decoding runs the
// encoder once and then grows the decoder one token a step from decoder_start_token_id, with the
// cross-attention keys and values and the self-attention key/value cache kept on the GPU
// (T5Model.startDecoding) until EOS or the limit. t5GenerateByRerun re-runs the whole model for
// every token: the cache's reference in the tests and its baseline in the decode benchmark.

import type { T5Model } from './t5-model';
import type { GenerateOptions } from './trainable';
import { argmax } from './sampling';

type T5GenerateOptions = Pick<GenerateOptions, 'maxNewTokens' | 'onPass' | 'pick' | 'onToken'> & { stopToken?: number | null };

/** Tokens after the source (the stop token included when reached; by default EOS), at most `maxNewTokens`; greedy unless options.pick. */
export async function t5Generate(model: T5Model, inputIds: Uint32Array, options: T5GenerateOptions): Promise<number[]> {
  const pick = options.pick ?? argmax;
  const stopToken = options.stopToken === undefined ? model.spec.eosTokenId : options.stopToken;
  if (options.maxNewTokens < 1) return [];
  const cache = await model.startDecoding(inputIds, options.maxNewTokens);
  try {
    const generated: number[] = [];
    let logits = await model.appendDecoding(cache, [model.spec.decoderStartTokenId]);
    for (;;) {
      options.onPass?.();
      const next = pick(logits);
      generated.push(next);
      options.onToken?.(0, next);
      if (next === stopToken || generated.length >= options.maxNewTokens) return generated;
      logits = await model.appendDecoding(cache, [next]);
    }
  } finally {
    cache.destroy();
  }
}

/** The same tokens by re-running the encoder and the whole decoder for each. */
export async function t5GenerateByRerun(model: T5Model, inputIds: Uint32Array, options: T5GenerateOptions): Promise<number[]> {
  const pick = options.pick ?? argmax;
  const { vocabSize: V, decoderStartTokenId } = model.spec;
  const stopToken = options.stopToken === undefined ? model.spec.eosTokenId : options.stopToken;
  const attentionMask = new Float32Array(inputIds.length).fill(1);
  const generated: number[] = [];
  while (generated.length < options.maxNewTokens) {
    const decoderInputIds = Uint32Array.from([decoderStartTokenId, ...generated]);
    const logits = await model.logitsOf({ B: 1, S: inputIds.length, T: decoderInputIds.length, inputIds, attentionMask, decoderInputIds });
    options.onPass?.();
    const next = pick(logits.subarray((decoderInputIds.length - 1) * V));
    generated.push(next);
    options.onToken?.(0, next);
    if (next === stopToken) break;
  }
  return generated;
}

/**
 * For each source, which label T5 picks: the one whose first token scores highest at the decoder's
 * first position (the token greedy decoding starts with). The labels' first tokens must differ.
 */
export async function t5PickLabels(model: T5Model, sources: readonly Uint32Array[], labelFirstTokens: readonly number[]): Promise<number[]> {
  if (new Set(labelFirstTokens).size !== labelFirstTokens.length) throw new RangeError('labels that share their first token cannot be told apart at the first position');
  const { vocabSize: V, decoderStartTokenId, padTokenId } = model.spec;
  const S = Math.max(...sources.map((s) => s.length));
  const B = sources.length;
  const inputIds = new Uint32Array(B * S).fill(padTokenId);
  const attentionMask = new Float32Array(B * S);
  sources.forEach((source, b) => {
    inputIds.set(source, b * S);
    attentionMask.fill(1, b * S, b * S + source.length);
  });
  const logits = await model.logitsOf({ B, S, T: 1, inputIds, attentionMask, decoderInputIds: new Uint32Array(B).fill(decoderStartTokenId) });
  return sources.map((_, b) => {
    const scores = labelFirstTokens.map((token) => logits[b * V + token]);
    return scores.indexOf(Math.max(...scores));
  });
}
