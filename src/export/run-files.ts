// Every file of a run directory, as bytes, so the CLI can write them and the browser can zip them:
// the PEFT adapter for adapter methods, the whole model folder for full training, and the report,
// data manifest and model card (README.md) for both.

import type { PreparedDataset } from '../data/prepare';
import type { AnyOpenedModel } from '../model/open';
import { modelKind } from '../train/model-kinds';
import { writeSafetensors } from '../model/safetensors';
import type { JobResult } from '../train/job';
import { fullModelFiles } from './full-model';
import { buildManifest } from './manifest';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, peftAdapterFiles, withInitialSubtracted } from './peft';
import { modifiesBaseWeights, usesRsLoraScale } from '../train/config';
import { buildReport } from './report';
import { MODEL_CARD, modelCard } from './model-card';
import type { JobEvent } from '../train/events';
import { CONTINUE_SCRIPT, INIT_ADAPTER, INIT_ADAPTER_CONFIG, continueScript } from './continue-script';

export interface RunFileOptions {
  /** Also the initial adapter (A₀, B₀ at the allocated ranks), its PEFT config and continue_training.py. */
  saveInit?: boolean;
  saveScan?: boolean;
  /** Full training: the base model's tokenizer files (readCompanionFiles), copied into the folder. */
  companionFiles?: ReadonlyMap<string, Uint8Array>;
}

export function runFiles(result: JobResult, model: AnyOpenedModel, data: PreparedDataset, modelId: string, options: RunFileOptions = {}): Map<string, Uint8Array> {
  const text = (s: string) => new TextEncoder().encode(s);
  const { config } = result;
  const report = () => text(JSON.stringify(buildReport(result, model, data, modelId), null, 2) + '\n');
  const card = () => text(modelCard({ result, targets: model.targets, data, baseModel: modelId, taskType: modelKind(model).taskType }));
  if (config.method === 'full') {
    if (model.kind !== 'decoder') throw new Error('full training is for decoder-only models');
    if (!result.weights) throw new Error('a full-training result must hold its trained weights');
    if (options.saveInit || options.saveScan) throw new Error('full training has no initial adapter and no scan to save');
    const files = fullModelFiles({ config: model.config, entries: model.entries, weights: result.weights, companionFiles: options.companionFiles });
    files.set('gora_report.json', report());
    files.set('data_manifest.json', text(buildManifest(result.batches)));
    // The base model's own card, if copied with its files, gives way to this model's.
    files.set(MODEL_CARD, card());
    return files;
  }
  const rsLora = usesRsLoraScale(config.method);
  const peft = (adapters: JobResult['trained']) =>
    peftAdapterFiles({ targets: model.targets, taskType: modelKind(model).taskType, adapters, rsLora, alpha: config.alpha, rankRef: config.rank, baseModel: modelId });
  // LoRA-GA and PiSSA trained on W − s·B₀A₀: the adapter written is relative to the original W (peft.ts).
  const adapter = peft(modifiesBaseWeights(config.method) ? withInitialSubtracted(result.trained, result.initial) : result.trained);
  const files = new Map<string, Uint8Array>([
    [ADAPTER_WEIGHTS, adapter.weights],
    [ADAPTER_CONFIG, text(adapter.config)],
    ['gora_report.json', report()],
    ['data_manifest.json', text(buildManifest(result.batches))],
    [MODEL_CARD, card()],
  ]);
  if (options.saveInit) {
    // The starting point, and the script that continues from it elsewhere (./continue-script.ts).
    const init = peft(result.initial);
    files.set(INIT_ADAPTER, init.weights);
    files.set(INIT_ADAPTER_CONFIG, text(init.config));
    files.set(CONTINUE_SCRIPT, text(continueScript({ config, baseModel: modelId, taskType: modelKind(model).taskType })));
  }
  if (options.saveScan) {
    if (!result.scanGradients) throw new Error('--save-scan needs a method with a gradient scan (gora or lora-ga)');
    const byName = new Map(model.targets.map((t) => [t.name, t]));
    files.set(
      'scan_gradients.safetensors',
      writeSafetensors(
        [...result.scanGradients].map(([name, g]) => {
          const t = byName.get(name)!;
          return { name: `${t.module}.weight`, dtype: 'F32' as const, shape: [t.out, t.in], data: g };
        }),
      ),
    );
  }
  return files;
}

/**
 * runFiles as the run's 'export' phase: its start and end events (with seconds) around it, so a
 * client that lists phases shows the export as measured, like every other phase.
 */
export function exportRunFiles(emit: (event: JobEvent) => void, ...args: Parameters<typeof runFiles>): Map<string, Uint8Array> {
  emit({ type: 'phase', phase: 'export', status: 'start' });
  const start = performance.now();
  const files = runFiles(...args);
  emit({ type: 'phase', phase: 'export', status: 'end', seconds: (performance.now() - start) / 1000 });
  return files;
}
