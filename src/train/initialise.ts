// The initial adapters of every adapter method (docs/gora.md §5 and §9), on the model:
//   gora     scan → allocate → B₀ = −ξ·G A₀ᵀ(A₀A₀ᵀ + εI)⁻¹ (adapters.ts), optionally with adaptive γ
//   lora     A Kaiming-uniform, B = 0, s = α/r;   rslora: the same with s = α/√r
//   lora-ga  scan → top 2r singular triplets of each G → A₀, B₀ (src/gora/baselines.ts), W ← W − s·B₀A₀
//   pissa    top r singular triplets of each W → A₀, B₀, W ← W − s·B₀A₀
// LoRA-GA and PiSSA use one rank r for every layer, as their papers do. Their change of W is made on
// the GPU weights the model reads, so the adapted model's output at step 0 equals the base model's.
// The job runs the stages as phases of their own — scanStage, GoRA's allocation (adapters.ts
// allocateFromScan), adapterStage — so each is timed; initialiseAdapters runs them in one call.

import type { TrainableModel } from '../engine/trainable';
import { matmul } from '../engine/ops/matmul';
import { Random } from '../engine/random';
import type { Allocation, AllocationSettings } from '../gora/allocate';
import { loraGaFactors, pissaFactors } from '../gora/baselines';
import { kaimingUniform, loraScale } from '../gora/init';
import { searchGamma, type GammaSearch } from '../gora/gamma';
import { gradientScan, type ScanBatch, type ScanResult } from '../gora/scan';
import { topSingularTriplets } from '../gora/svd';
import type { LinearTarget } from '../model/spec';
import { isQuantised, type PackedWeight } from '../engine/weight-format';
import { packWeight, unpackWeight } from '../engine/pack-weights';
import { needsScan, usesRsLoraScale, type JobConfig } from './config';
import { allocateFromScan, allocationSettings, goraAdapters, meanScanGradients, type InitialAdapter } from './adapters';

export interface Initialisation {
  scan: ScanResult | null;
  allocation: Allocation | null;
  adapters: Map<string, InitialAdapter>;
  gradients: Map<string, Float32Array> | null;
  /** GoRA with adaptive γ: the candidates tried and the γ chosen. */
  gammaSearch: GammaSearch | null;
}

export interface InitialiseOptions {
  keepGradients: boolean;
  onBatch?: (done: number, loss: number) => void;
  onAllocation?: (a: Allocation) => void;
  review?: (a: Allocation) => Promise<AllocationSettings>;
  /** GoRA's adaptive γ: the first training batch, whose loss chooses γ. */
  firstTrainBatch?: ScanBatch;
  log?: (message: string) => void;
}

/**
 * The gradient scan of the methods that need one (GoRA, LoRA-GA; docs/gora.md §2), else null. The
 * model keeps tracking the gradients for adapterStage, which frees them.
 */
export async function scanStage(model: TrainableModel, targets: readonly LinearTarget[], scanBatches: readonly ScanBatch[], config: JobConfig, onBatch?: (done: number, loss: number) => void): Promise<ScanResult | null> {
  if (!needsScan(config.method)) return null;
  if (config.method === 'lora-ga') checkLoraGaRank(targets, config.rank);
  return gradientScan(model, targets, scanBatches, onBatch, config.scanPasses);
}

/**
 * Builds the initial adapters of `config.method` (not attached) from the scan and (GoRA) the
 * allocation, changing W on the GPU for LoRA-GA and PiSSA, and frees the scan's gradients.
 */
export async function adapterStage(
  model: TrainableModel,
  targets: readonly LinearTarget[],
  config: JobConfig,
  scan: ScanResult | null,
  allocation: Allocation | null,
  options: Pick<InitialiseOptions, 'keepGradients' | 'firstTrainBatch' | 'log'>,
): Promise<Pick<Initialisation, 'adapters' | 'gradients' | 'gammaSearch'>> {
  try {
    const gradients = scan && options.keepGradients ? await meanScanGradients(model, targets, scan) : null;
    switch (config.method) {
      case 'gora': {
        if (!scan || !allocation) throw new Error('GoRA initialises from a scan and an allocation');
        const adapters = await goraAdapters(model, targets, scan, allocation, config.gammaAuto ? { ...config, gamma: 1 } : config);
        if (!config.gammaAuto) return { adapters, gradients, gammaSearch: null };
        const batch = options.firstTrainBatch;
        if (!batch) throw new Error('the adaptive γ search needs the first training batch');
        const gammaSearch = await chooseGamma(model, adapters, batch);
        for (const a of adapters.values()) a.B = a.B.map((x) => x * gammaSearch.gamma);
        const best = gammaSearch.tried.find((t) => t.gamma === gammaSearch.gamma);
        options.log?.(
          best
            ? `gamma: chose γ = ${best.gamma.toPrecision(4)} of ${gammaSearch.tried.length} candidates (first-batch loss ${gammaSearch.baseLoss.toFixed(4)} → ${best.loss.toFixed(4)})`
            : `gamma: no candidate beat the first-batch base loss ${gammaSearch.baseLoss.toFixed(4)}: γ = 0 (B₀ = 0)`,
        );
        return { adapters, gradients, gammaSearch };
      }
      case 'lora':
      case 'rslora':
        return { adapters: uniformLoraInit(targets, config), gradients: null, gammaSearch: null };
      case 'lora-ga': {
        if (!scan) throw new Error('LoRA-GA initialises from a scan');
        const adapters = await loraGaAdapters(model, targets, scan, config);
        await subtractInitialAdapters(model, adapters);
        return { adapters, gradients, gammaSearch: null };
      }
      case 'pissa': {
        const adapters = new Map<string, InitialAdapter>();
        const scale = loraScale(config.alpha, config.rank, usesRsLoraScale('pissa'));
        for (const t of targets) {
          // 16 power iterations, as PiSSA's fast SVD (pissa_niter_16), and 2k extra basis vectors: a
          // weight's spectrum decays slowly (σ_r/σ_r+1 is often within a few per cent), so it needs a
          // wider basis and more iterations than a gradient's to find the principal subspace.
          const svd = await topSingularTriplets(model.gpu, model.linearWeight(t.name), t.out, t.in, Math.min(config.rank, t.out, t.in), { seed: config.seed ^ 0x3c6ef372, powerIterations: 16, oversampling: 2 * config.rank });
          const { A, B } = pissaFactors(svd, t.out, t.in, config.rank, scale);
          adapters.set(t.name, { rank: config.rank, scale, A, B });
        }
        await subtractInitialAdapters(model, adapters);
        return { adapters, gradients: null, gammaSearch: null };
      }
      case 'full':
        return { adapters: new Map(), gradients: null, gammaSearch: null };
    }
  } finally {
    model.untrackWeightGradients();
  }
}

/** Every stage in one call: scan, allocation (with its review) and initial adapters. */
export async function initialiseAdapters(model: TrainableModel, targets: readonly LinearTarget[], scanBatches: readonly ScanBatch[], config: JobConfig, options: InitialiseOptions): Promise<Initialisation> {
  try {
    const scan = await scanStage(model, targets, scanBatches, config, options.onBatch);
    let allocation: Allocation | null = null;
    if (scan && config.method === 'gora') {
      allocation = allocateFromScan(targets, scan, allocationSettings(config));
      options.onAllocation?.(allocation);
      if (options.review) {
        allocation = allocateFromScan(targets, scan, await options.review(allocation));
        options.onAllocation?.(allocation);
      }
    }
    return { scan, allocation, ...(await adapterStage(model, targets, config, scan, allocation, options)) };
  } finally {
    model.untrackWeightGradients();
  }
}

/** LoRA and rsLoRA: A Kaiming-uniform, B = 0, uniform rank; s = α/r or α/√r. */
export function uniformLoraInit(targets: readonly LinearTarget[], config: JobConfig): Map<string, InitialAdapter> {
  const rng = new Random(config.seed ^ 0x6a09e667);
  const scale = loraScale(config.alpha, config.rank, usesRsLoraScale(config.method));
  const adapters = new Map<string, InitialAdapter>();
  for (const t of targets) adapters.set(t.name, { rank: config.rank, scale, A: kaimingUniform(rng, config.rank, t.in), B: new Float32Array(t.out * config.rank) });
  return adapters;
}

function checkLoraGaRank(targets: readonly LinearTarget[], r: number): void {
  for (const t of targets) {
    if (2 * r > Math.min(t.out, t.in)) throw new RangeError(`LoRA-GA at rank ${r} needs 2r = ${2 * r} singular vectors, and ${t.module} is [${t.out}, ${t.in}]: use a rank (r_ref) of ${Math.floor(Math.min(...targets.map((x) => Math.min(x.out, x.in))) / 2)} or less`);
  }
}

/** LoRA-GA's A₀, B₀ from the top 2r singular triplets of each scan gradient (docs/gora.md §9). */
async function loraGaAdapters(model: TrainableModel, targets: readonly LinearTarget[], scan: ScanResult, config: JobConfig): Promise<Map<string, InitialAdapter>> {
  const r = config.rank;
  const scale = loraScale(config.alpha, r, usesRsLoraScale('lora-ga'));
  const adapters = new Map<string, InitialAdapter>();
  for (const t of targets) {
    const gradient = model.weightGradient(t.name);
    const svd = await topSingularTriplets(model.gpu, gradient, t.out, t.in, 2 * r, { scale: 1 / scan.batches, seed: config.seed ^ 0x3c6ef372 });
    const { A, B } = loraGaFactors(svd, t.out, t.in, r);
    adapters.set(t.name, { rank: r, scale, A, B });
  }
  return adapters;
}

/**
 * W ← W − s·B₀A₀ for every adapter, on the model's GPU weights (one matmul each, accumulating with
 * α = −s). Used at initialisation and again on resume (the checkpoint holds A₀, B₀, not W).
 */
export async function subtractInitialAdapters(model: TrainableModel, adapters: ReadonlyMap<string, InitialAdapter>): Promise<void> {
  const gpu = model.gpu;
  for (const [name, a] of adapters) {
    const stored = model.linearWeight(name);
    const m = a.B.length / a.rank;
    const n = a.A.length / a.rank;
    if ('format' in stored) {
      await subtractFromPacked(model, stored, a, m, n);
      continue;
    }
    const W = stored;
    if (W.size !== m * n * 4) throw new RangeError(`adapter ${name} is for a [${m}, ${n}] weight, the model's has ${W.size / 4} values`);
    const A = gpu.upload(`${name} A0`, a.A);
    const B = gpu.upload(`${name} B0`, a.B);
    try {
      await gpu.run(`${name} W − s·B0·A0`, (enc) => matmul(enc, W, B, A, null, { M: m, N: n, K: a.rank, alpha: -a.scale, accumulate: true }));
    } finally {
      A.destroy();
      B.destroy();
    }
  }
}

/**
 * W ← W − s·B₀A₀ on a 16-bit W: decoded, changed in f64 and rounded back on the CPU, one layer at a
 * time (the kernels only read stored formats). Quantised formats are refused before a run starts
 * (config.ts weightFormatProblem); this is the last guard.
 */
async function subtractFromPacked(model: TrainableModel, W: PackedWeight, a: InitialAdapter, m: number, n: number): Promise<void> {
  if (isQuantised(W.format)) throw new Error(`W ← W − s·B₀A₀ cannot be stored in ${W.format}`);
  if (W.rows !== m || W.cols !== n) throw new RangeError(`an adapter for a [${m}, ${n}] weight, the model's is [${W.rows}, ${W.cols}]`);
  const words = new Uint32Array((await model.gpu.readF32(W.data)).buffer);
  const values = unpackWeight(W.format, m, n, { data: words, scales: null });
  const r = a.rank;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < r; p++) sum += a.B[i * r + p] * a.A[p * n + j];
      values[i * n + j] -= a.scale * sum;
    }
  }
  model.gpu.write(W.data, packWeight(W.format, m, n, values).data);
}

/** docs/gora.md §6's adaptive γ with the adapters at γ = 1 (B₀ linear in γ): loss of `batch` at each candidate. */
async function chooseGamma(model: TrainableModel, adapters: ReadonlyMap<string, InitialAdapter>, batch: ScanBatch): Promise<GammaSearch> {
  const baseLoss = await batchLoss(model, batch);
  const attached = [...adapters].map(([name, a]) => ({ a, gpuAdapter: model.attachAdapter(name, a.rank, a.scale, a.A, a.B) }));
  try {
    return await searchGamma(baseLoss, async (gamma) => {
      for (const { a, gpuAdapter } of attached) model.gpu.write(gpuAdapter.B, a.B.map((x) => x * gamma));
      return batchLoss(model, batch);
    });
  } finally {
    for (const name of adapters.keys()) model.detachAdapter(name);
  }
}

/** The batch's mean loss over counted tokens (as the scan measures it). */
async function batchLoss(model: TrainableModel, batch: ScanBatch): Promise<number> {
  model.useBatch(batch);
  await model.gpu.run('loss', (enc) => model.forward(enc, null));
  return (await model.gpu.readF32(model.losses)).reduce((a, b) => a + b, 0) / batch.count;
}
