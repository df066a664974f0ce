// gora_report.json: every number the run depended on, so it can be audited — settings, the model's
// shapes, per layer its importance, advantage and rank, budget against trainable parameters, scan
// time, losses per step, evaluations and timings.

import type { PreparedDataset } from '../data/prepare';
import type { AnyOpenedModel } from '../model/open';
import { modelKind } from '../train/model-kinds';
import type { JobResult } from '../train/job';
import { parameterCount } from '../train/full';
import { modifiesBaseWeights } from '../train/config';

export function buildReport(result: JobResult, model: AnyOpenedModel, data: PreparedDataset, modelId: string): object {
  const { config, allocation, scan } = result;
  const { targets } = model;
  const { estimate } = result.memory;
  const layers = targets.map((t, i) => ({
    name: t.module,
    shape: [t.out, t.in],
    importance: allocation ? allocation.layers[i].importance : null,
    advantage: allocation ? allocation.layers[i].advantage : null,
    rank: result.trained.get(t.name)?.rank ?? 0,
    scale: result.trained.get(t.name)?.scale ?? null,
  }));
  // Full training trains every value of every weight; adapters r·(m + n) per layer.
  const trainable = result.weights ? parameterCount(result.weights) : layers.reduce((sum, l) => sum + l.rank * (l.shape[0] + l.shape[1]), 0);
  return {
    method: config.method,
    settings: config,
    weights_dtype: result.weightsFormat,
    model: { id: modelId, ...modelKind(model).describe(model) },
    data: { file: data.file, ...data.stats, labels: data.labels?.labels ?? null },
    layers,
    budget: {
      feature_budget: allocation?.budget ?? null,
      target_parameters: config.rank * targets.reduce((sum, t) => sum + t.out + t.in, 0),
      trainable_parameters: trainable,
    },
    scan: scan ? { batches: scan.batches, seconds: scan.seconds, losses: scan.losses } : null,
    initialisation: result.initCheck,
    gamma_search: result.gammaSearch ?? null,
    // LoRA-GA and PiSSA train on W − s·B₀A₀; adapter_model.safetensors is relative to the original W.
    base_weights: modifiesBaseWeights(config.method) ? 'W − s·B₀A₀ during training; the exported adapter holds [B, −B₀]·[A; A₀] at rank 2r, relative to the original W' : 'unchanged',
    training: result.steps,
    evaluations: result.evaluations,
    final: result.final,
    // Scores on the test split the data names (null when none): reported, never used to choose.
    test: result.test,
    generations: result.generations,
    seconds: result.seconds,
    // Bytes: the dry run's estimate of this run (src/train/memory-estimate.ts; null for a model it
    // does not count) and the measured peak.
    memory: {
      estimate: estimate && { weights: estimate.weights, activations: estimate.activations, scan_gradients: estimate.scanGradients, training: estimate.training, total: estimate.peak },
      peak_bytes: result.memory.peakBytes,
    },
  };
}
