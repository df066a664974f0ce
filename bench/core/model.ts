// The model a benchmark runs on, held on the CPU so both sides (our engine and TensorFlow.js) upload
// the very same numbers: the embedded model's trained weights, or seeded random ones of a size's
// shapes, plus one seeded batch of tokens.

import { Random } from '../../src/engine/random';
import { blockLinears, linearName } from '../../src/engine/architecture';
import type { ModelFiles } from '../../src/model/bytes';
import { openModel } from '../../src/model/load';
import type { LinearTarget, ModelSpec } from '../../src/model/spec';
import { linearTargets, readWeights } from '../../src/model/weights';
import { randomSizeSpec, type SizeSetup } from './sizes';

export interface BenchBatch {
  tokens: Uint32Array; // [B·T]
  targets: Int32Array; // [B·T], −100 at each row's last position
  count: number; // counted targets
}

export interface BenchModel {
  setup: SizeSetup;
  spec: ModelSpec;
  targets: LinearTarget[];
  /** Every weight by canonical name, in the engine's layout ([out, in] for linear weights). */
  weights: Map<string, Float32Array>;
  batch: BenchBatch;
}

/** The embedded model (`files`: public/models/gora-tiny), its real weights. */
export async function loadEmbeddedModel(setup: SizeSetup, files: ModelFiles): Promise<BenchModel> {
  const opened = await openModel(files);
  if (opened.spec.architecture === 'gpt2') throw new RangeError('the benchmark runs Llama-family models; this folder holds GPT-2');
  const weights = new Map<string, Float32Array>();
  for await (const { entry, data } of readWeights(opened.checkpoint, opened.entries)) weights.set(entry.name, data);
  return { setup, spec: opened.spec, targets: opened.targets, weights, batch: randomBatch(opened.spec, setup, 1) };
}

/** A model of the size's shapes with seeded random weights (nn.Linear's default init, unit norms). */
export function randomModel(setup: SizeSetup, seed = 0): BenchModel {
  const spec = randomSizeSpec(setup);
  const rng = new Random(seed);
  const { hiddenSize: C, vocabSize: V } = spec;
  const weights = new Map<string, Float32Array>();
  weights.set('embed', rng.floats(V * C, -0.05, 0.05));
  for (let l = 0; l < spec.layers; l++) {
    weights.set(`layers.${l}.norm1.weight`, new Float32Array(C).fill(1));
    weights.set(`layers.${l}.norm2.weight`, new Float32Array(C).fill(1));
    for (const linear of blockLinears(spec)) {
      const bound = 1 / Math.sqrt(linear.in);
      weights.set(`${linearName(l, linear.kind)}.weight`, rng.floats(linear.out * linear.in, -bound, bound));
    }
  }
  weights.set('final_norm.weight', new Float32Array(C).fill(1));
  if (!spec.tiedEmbeddings) weights.set('lm_head', rng.floats(V * C, -0.05, 0.05));
  return { setup, spec, targets: linearTargets(spec), weights, batch: randomBatch(spec, setup, seed + 1) };
}

/** Random tokens; each position predicts the next one of its row, the last is not counted. */
export function randomBatch(spec: ModelSpec, setup: Pick<SizeSetup, 'batch' | 'seqLen'>, seed: number): BenchBatch {
  const { batch: B, seqLen: T } = setup;
  if (T > spec.maxPositions) throw new RangeError(`sequence length ${T} is above the model's ${spec.maxPositions} positions`);
  const rng = new Random(seed);
  const tokens = new Uint32Array(B * T);
  for (let i = 0; i < tokens.length; i++) tokens[i] = Math.floor(rng.next() * spec.vocabSize);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) targets[b * T + t] = t + 1 < T ? tokens[b * T + t + 1] : -100;
  }
  return { tokens, targets, count: B * (T - 1) };
}
