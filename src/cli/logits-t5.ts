// `gora logits` on an encoder-decoder model (T5): the source as the encoder's input, the target as
// the labels, and transformers' shift-right of them as the decoder's input. Writes `input_ids`
// (I32 [S]: the source as the tokenizer encodes it, ending with the end-of-sequence token),
// `decoder_input_ids` (I32 [T]: decoder_start_token_id, then the labels without the last) and
// `logits` (F32 [T, V]), for comparison with other implementations.

import { writeFile } from 'node:fs/promises';
import type { ModelFiles } from '../model/bytes';
import { writeSafetensors } from '../model/safetensors';
import { openT5, readT5Weights } from '../model/t5-load';
import { loadTokenizer } from '../model/tokenizer';
import { shiftRight } from '../engine/ref/t5';
import { T5Model } from '../engine/t5-model';
import { acquireNodeGpu } from '../gpu/node';
import { UsageError } from './errors';

/** config.json says the model has an encoder and a decoder (T5 writes `is_encoder_decoder: true`). */
export function isEncoderDecoder(config: unknown): boolean {
  return typeof config === 'object' && config !== null && (config as Record<string, unknown>).is_encoder_decoder === true;
}

export async function t5Logits(files: ModelFiles, options: { text: string; target: string | undefined; out: string; specialTokens: boolean }): Promise<void> {
  if (options.target === undefined) throw new UsageError('this model is an encoder-decoder (T5): logits needs --target "..." besides --text, the decoder\'s labels');
  const model = await openT5(files);
  const tokenizer = await loadTokenizer(files);
  if (!tokenizer) throw new UsageError('the model folder has no tokenizer.json');
  const { eosTokenId } = model.spec;
  // T5's tokenizer ends every sequence with </s>; a tokenizer that does not gets it added here.
  const withEos = (text: string) => {
    const ids = tokenizer.encode(text, { addSpecialTokens: options.specialTokens });
    return ids.at(-1) === eosTokenId ? ids : [...ids, eosTokenId];
  };
  const inputIds = withEos(options.text);
  const labels = Int32Array.from(withEos(options.target));
  const decoderInputIds = shiftRight(labels, model.spec);
  const [S, T, V] = [inputIds.length, labels.length, model.spec.vocabSize];
  const gpu = await acquireNodeGpu();
  const forward = new T5Model(gpu, model.spec, await readT5Weights(model));
  const logits = await forward.logitsOf({ B: 1, S, T, inputIds: Uint32Array.from(inputIds), attentionMask: new Float32Array(S).fill(1), decoderInputIds });
  forward.destroy();
  gpu.destroy();
  await writeFile(
    options.out,
    writeSafetensors([
      { name: 'input_ids', dtype: 'I32', shape: [S], data: Int32Array.from(inputIds) },
      { name: 'decoder_input_ids', dtype: 'I32', shape: [T], data: Int32Array.from(decoderInputIds) },
      { name: 'logits', dtype: 'F32', shape: [T, V], data: logits },
    ]),
  );
  console.error(`wrote ${S} source tokens, ${T} decoder positions × ${V} logits to ${options.out}`);
}
