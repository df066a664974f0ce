// A trained byte-level BPE as the two files Hugging Face tokenizers are published with:
// tokenizer.json in the `tokenizers` library's serialisation (model BPE with GPT-2's ByteLevel
// pre-tokenizer, post-processor and decoder) and tokenizer_config.json as transformers writes it
// (special tokens, ChatML chat template), laid out as SmolLM2's.

import { countPretokens, trainBpe, type TrainedBpe } from './bpe';
import { END_OF_TEXT, SPECIAL_TOKENS } from './byte-level';
import { splitDocuments } from './sources';

/** 3 special tokens + 256 bytes + 765 merges: a power of two, as GPU-friendly embedding tables are. */
export const VOCAB_SIZE = 1024;
/** The longest sequence the embedded model is built for (its position table). */
export const MODEL_MAX_LENGTH = 512;

/** ChatML, as SmolLM2 and Qwen2 write their turns. */
export const CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const ADDED = { single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
// GPT-2's settings: no space is added before the text, so encoding never changes the text.
const BYTE_LEVEL = { add_prefix_space: false, trim_offsets: true, use_regex: true };

export function tokenizerJson(bpe: TrainedBpe): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({ id, content, ...ADDED })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...BYTE_LEVEL },
    post_processor: { type: 'ByteLevel', ...BYTE_LEVEL, trim_offsets: false },
    decoder: { type: 'ByteLevel', ...BYTE_LEVEL },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(bpe.tokens.map((token, id) => [token, id])),
      merges: bpe.merges,
    },
  };
}

/**
 * `<|endoftext|>` separates documents in pre-training, so it is BOS, EOS and padding at once (as in
 * GPT-2 and SmolLM2's base model); the post-processor adds none of them, so a prompt is encoded as is.
 */
export function tokenizerConfig(modelMaxLength: number): object {
  return {
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(
      SPECIAL_TOKENS.map((content, id) => [String(id), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }]),
    ),
    additional_special_tokens: SPECIAL_TOKENS.slice(1),
    bos_token: END_OF_TEXT,
    chat_template: CHAT_TEMPLATE,
    // The decoder must return the text exactly; cleaning would drop the space before punctuation.
    clean_up_tokenization_spaces: false,
    eos_token: END_OF_TEXT,
    model_max_length: modelMaxLength,
    pad_token: END_OF_TEXT,
    tokenizer_class: 'GPT2Tokenizer',
    unk_token: END_OF_TEXT,
  };
}

export interface TokenizerFiles {
  bpe: TrainedBpe;
  /** Distinct pre-tokens the merges were learned from. */
  pretokens: number;
  tokenizerJson: object;
  tokenizerConfig: object;
}

/** Trains on `trainText` (documents separated by the end-of-text token, which is never merged into). */
export function buildTokenizerFiles(trainText: string, vocabSize: number = VOCAB_SIZE): TokenizerFiles {
  const counts = new Map<string, number>();
  for (const document of splitDocuments(trainText)) countPretokens(document, counts);
  const bpe = trainBpe(counts, vocabSize);
  if (bpe.tokens.length !== vocabSize) throw new Error(`the corpus yields only ${bpe.tokens.length} tokens, not ${vocabSize}`);
  return { bpe, pretokens: counts.size, tokenizerJson: tokenizerJson(bpe), tokenizerConfig: tokenizerConfig(MODEL_MAX_LENGTH) };
}

/** The files' text as written to disk. */
export function serialise(json: object): string {
  return JSON.stringify(json, null, 2) + '\n';
}
