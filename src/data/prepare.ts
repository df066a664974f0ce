// The dataset pipeline in one call: parse, join prompt and completion (./separator.ts), tokenise,
// fit to the sequence length, split, detect classification labels, and lay out batches. Every way
// the data can be unusable is found here, as a DataError that says what to change, before any GPU
// work starts.

import { packSequences, type Batch } from './batch';
import { decoderLayout, seq2seqLayout, type RowLayout } from './layout';
import { seq2seqTextIds, seq2seqSequence, type Seq2SeqIds } from './seq2seq';
import type { ColumnChoice } from './csv';
import { BatchSchedule, splitTrainVal, type BatchPosition } from './dataset';
import { DataError } from './errors';
import { isCompletion, type Example } from './example';
import { detectLabels, type LabelSet } from './labels';
import { parseDataset, type DataFormat } from './parse';
import { DEFAULT_SEPARATOR, gluedExcerpt, isGlued, joinExample, SEPARATORS, type Separator } from './separator';
import { namedSplit } from './split';
import { completionIds, countTargets, fitSequence, promptLength, tokenizeExample, tokenPlan, type DataTokenizer, type TokenPlan, type TokenSequence } from './tokenize';

export interface PrepareOptions {
  /** T, tokens per row (the sequence length). */
  seqLen: number;
  /** B, rows per batch (the batch size). */
  batchSize: number;
  /** Drives the split (unless the records name theirs) and every epoch's order. */
  seed: number;
  /** Share of examples held out for validation when the records name no split; default 0.1. */
  valFraction?: number;
  /** Overrides the format the file extension names. */
  format?: DataFormat;
  /** CSV/TSV columns; defaults as in ./csv.ts. */
  columns?: ColumnChoice;
  /** Concatenate the examples and cut rows of exactly T tokens (for text); default false. */
  packing?: boolean;
  /** Put between a prompt and a completion that have no whitespace between them (./separator.ts); default space. */
  separator?: Separator;
  /**
   * For an encoder-decoder model: prompts become the encoder's input and completions the decoder's
   * labels (./seq2seq.ts), each side at most T tokens; no separator, no packing, no plain text.
   */
  seq2seq?: Seq2SeqIds;
}

export interface DatasetStats {
  format: DataFormat;
  /** Records read from the file. */
  examples: number;
  /** Prompt/completion examples cut at T that kept part of their completion. */
  truncated: number;
  /** Text examples cut into several rows. */
  split: number;
  /** Examples left out because T leaves none of their completion. */
  dropped: number;
  /** Examples left out because they hold nothing to learn (an empty text, say). */
  empty: number;
  /** Prompt/completion examples whose two parts run together with nothing between them (separator none). */
  glued: number;
  /** The first of them where the parts meet (`…4 plus 4?8`), or null. */
  gluedExample: string | null;
  /** 'file': the records name their splits (./split.ts); 'seed': validation drawn by the seed. */
  splitFrom: 'file' | 'seed';
  trainExamples: number;
  valExamples: number;
  /** Only a file's named test split has any; nothing trains or chooses on them. */
  testExamples: number;
  trainRows: number;
  valRows: number;
  testRows: number;
  /** Counted targets in one pass: what the mean losses average over. */
  trainTargets: number;
  valTargets: number;
}

/** A label set with each label's continuation tokens, exactly as training sees them (EOS included). */
export interface ClassLabels extends LabelSet {
  tokens: number[][];
}

export interface PreparedDataset {
  file: string;
  seqLen: number;
  /** Decoder positions of a batch: T, or for an encoder-decoder model the longest labels (EOS included). */
  targetLen: number;
  /** How the model reads the rows (./layout.ts): batches, and the rows evaluation scores. */
  layout: RowLayout;
  batchSize: number;
  packing: boolean;
  plan: TokenPlan;
  /** The usable examples on each side of the split, in file order. */
  trainExamples: Example[];
  valExamples: Example[];
  testExamples: Example[];
  /** Rows of at most T tokens, tokenised and masked. */
  train: TokenSequence[];
  val: TokenSequence[];
  test: TokenSequence[];
  labels: ClassLabels | null;
  stats: DatasetStats;
  /** Training batches across epochs, from a saved {epoch, index}. */
  schedule: BatchSchedule;
  batchesPerEpoch: number;
  batchAt(position: BatchPosition): Batch;
  /** Validation batches in a fixed order; 0 when there is no validation split. */
  valBatchCount: number;
  valBatchAt(index: number): Batch;
}

function checkOptions(file: string, options: PrepareOptions): number {
  const { seqLen, batchSize, seed } = options;
  const valFraction = options.valFraction ?? 0.1;
  if (!Number.isSafeInteger(seqLen) || seqLen < 2) throw new DataError(file, `the sequence length ${seqLen} is too small: use a whole number of at least 2`);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new DataError(file, `the batch size ${batchSize} is not valid: use a whole number of at least 1`);
  if (!Number.isSafeInteger(seed)) throw new DataError(file, `the seed ${seed} is not valid: use a whole number`);
  if (!(valFraction >= 0 && valFraction < 1)) throw new DataError(file, `the validation fraction ${valFraction} is not valid: use a number from 0 up to (not including) 1`);
  if (options.separator !== undefined && !SEPARATORS.includes(options.separator)) throw new DataError(file, `the separator "${String(options.separator)}" is not valid: use one of ${SEPARATORS.join(', ')}`);
  return valFraction;
}

function noUsableExamples(file: string, seqs: readonly TokenSequence[], tooLong: number[], empty: number, seqLen: number): DataError {
  if (tooLong.length === seqs.length) {
    const shortest = tooLong.reduce((min, i) => Math.min(min, promptLength(seqs[i])), Infinity);
    return new DataError(file, `all ${seqs.length} examples are longer than the sequence length ${seqLen} (no completion token fits): raise the sequence length to at least ${shortest + 1}`);
  }
  if (tooLong.length === 0) return new DataError(file, `none of the ${empty} examples has anything to learn (empty completions or texts): fix the data`);
  return new DataError(file, `no usable examples: ${tooLong.length} are longer than the sequence length ${seqLen} and ${empty} are empty: raise the sequence length or fix the data`);
}

/** What an encoder-decoder model cannot learn from: plain text (no prompt → completion), packing. */
function checkSeq2Seq(file: string, examples: readonly Example[], packing: boolean): void {
  if (packing) throw new DataError(file, 'packing joins examples into one sequence, and an encoder-decoder model (T5) reads each prompt and completion apart: turn packing off');
  const text = examples.findIndex((example) => !isCompletion(example));
  if (text >= 0) throw new DataError(file, `example ${text + 1} is plain text, and an encoder-decoder model (T5) learns prompt → completion pairs: give every example a prompt and a completion`);
}

function targets(rows: readonly TokenSequence[]): number {
  return rows.reduce((sum, row) => sum + countTargets(row), 0);
}

export function prepareDataset(text: string, file: string, tokenizer: DataTokenizer, options: PrepareOptions): PreparedDataset {
  const valFraction = checkOptions(file, options);
  const { seqLen, batchSize, seed } = options;
  const packing = options.packing ?? false;
  const parsed = parseDataset(text, file, { format: options.format, columns: options.columns, chat: tokenizer });
  const { format } = parsed;
  const separator = options.separator ?? DEFAULT_SEPARATOR;
  const seq2seq = options.seq2seq ?? null;
  // The encoder and the decoder each see one part: nothing joins them.
  const examples = seq2seq ? parsed.examples : parsed.examples.map((example) => joinExample(example, separator));
  if (examples.length === 0) {
    if (text.trim() === '') throw new DataError(file, 'is empty: choose a file with training examples');
    throw new DataError(file, 'holds no examples (only blank lines or a header): add training examples');
  }
  if (seq2seq) checkSeq2Seq(file, examples, packing);

  const plan = tokenPlan(tokenizer);
  const cut = new Set<number>();
  const seqs = examples.map((example, i) => {
    if (!seq2seq || !isCompletion(example)) return tokenizeExample(example, tokenizer, plan);
    const { row, truncated } = seq2seqSequence(example, tokenizer, seq2seq, seqLen);
    if (truncated) cut.add(i);
    return row;
  });

  // Which examples survive, and the rows each gives; packing cuts across examples later instead.
  const rowsOf = new Map<number, TokenSequence[]>();
  const tooLong: number[] = [];
  let empty = 0;
  let truncated = 0;
  let split = 0;
  seqs.forEach((seq, i) => {
    // With packing nothing is cut here (an unbounded length only sorts out the empty examples); an
    // encoder-decoder row was cut side by side when tokenised.
    const outcome = fitSequence(seq, packing || seq2seq ? Number.MAX_SAFE_INTEGER : seqLen);
    if (outcome.status === 'too-long') tooLong.push(i);
    else if (outcome.status === 'empty') empty++;
    else {
      rowsOf.set(i, outcome.rows);
      if (outcome.truncated || cut.has(i)) truncated++;
      if (outcome.split) split++;
    }
  });
  const usable = [...rowsOf.keys()];
  if (usable.length === 0) throw noUsableExamples(file, seqs, tooLong, empty, seqLen);

  const named = namedSplit(file, examples, usable);
  const { train: trainIds, val: valIds } = named ?? splitTrainVal(usable, seed, valFraction);
  const testIds = named?.test ?? [];
  const rows = (ids: number[]) => (packing ? packSequences(ids.map((i) => seqs[i]), seqLen) : ids.flatMap((i) => rowsOf.get(i) ?? []));
  const train = rows(trainIds);
  const val = rows(valIds);
  const test = rows(testIds);
  if (train.length === 0) throw new DataError(file, 'packing leaves no training row with a target: turn packing off or add data');

  const found = detectLabels(usable.map((i) => examples[i]));
  const labelIds = (label: string) => (seq2seq ? seq2seqTextIds(label, tokenizer, seq2seq) : completionIds(label, tokenizer, plan));
  const labels: ClassLabels | null = found ? { ...found, tokens: found.labels.map(labelIds) } : null;

  const glued = seq2seq ? [] : examples.filter(isGlued);
  // The decoder needs room for the longest labels of any row and of any label candidate.
  const targetLen = seq2seq ? Math.max(1, ...[...train, ...val, ...test].map((row) => row.ids.length - promptLength(row)), ...(labels?.tokens.map((l) => l.length) ?? [])) : seqLen;
  const layout = seq2seq ? seq2seqLayout(seq2seq, batchSize, seqLen, targetLen) : decoderLayout(batchSize, seqLen, plan.pad);
  const schedule = new BatchSchedule(train, { batchSize, seqLen, padId: plan.pad, seed, batchOf: layout.batchOf });
  const stats: DatasetStats = {
    format,
    examples: examples.length,
    truncated,
    split,
    dropped: tooLong.length,
    empty,
    glued: glued.length,
    gluedExample: glued.length > 0 ? gluedExcerpt(glued[0]) : null,
    splitFrom: named ? 'file' : 'seed',
    trainExamples: trainIds.length,
    valExamples: valIds.length,
    testExamples: testIds.length,
    trainRows: train.length,
    valRows: val.length,
    testRows: test.length,
    trainTargets: targets(train),
    valTargets: targets(val),
  };
  const valBatchCount = Math.ceil(val.length / batchSize);
  return {
    file,
    seqLen,
    targetLen,
    layout,
    batchSize,
    packing,
    plan,
    trainExamples: trainIds.map((i) => examples[i]),
    valExamples: valIds.map((i) => examples[i]),
    testExamples: testIds.map((i) => examples[i]),
    train,
    val,
    test,
    labels,
    stats,
    schedule,
    batchesPerEpoch: schedule.batchesPerEpoch,
    batchAt: (position) => schedule.batchAt(position),
    valBatchCount,
    valBatchAt(index) {
      if (!Number.isSafeInteger(index) || index < 0 || index >= valBatchCount) {
        throw new RangeError(`no validation batch ${index} (there are ${valBatchCount})`);
      }
      return layout.batchOf(val.slice(index * batchSize, (index + 1) * batchSize));
    },
  };
}
