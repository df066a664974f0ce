// Every file of a run directory, as bytes, so the CLI can write them and the browser can zip them.

import type { PreparedDataset } from '../data/prepare';
import type { OpenedModel } from '../model/load';
import { writeSafetensors } from '../model/safetensors';
import type { JobResult } from '../train/job';
import { buildManifest } from './manifest';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, peftAdapterFiles } from './peft';
import { buildReport } from './report';

export function runFiles(result: JobResult, model: OpenedModel, data: PreparedDataset, modelId: string, options: { saveInit?: boolean; saveScan?: boolean } = {}): Map<string, Uint8Array> {
  const text = (s: string) => new TextEncoder().encode(s);
  const { config } = result;
  const peft = (adapters: JobResult['trained']) =>
    peftAdapterFiles({ spec: model.spec, targets: model.targets, adapters, rsLora: config.method === 'gora', alpha: config.alpha, rankRef: config.rank, baseModel: modelId });
  const adapter = peft(result.trained);
  const files = new Map<string, Uint8Array>([
    [ADAPTER_WEIGHTS, adapter.weights],
    [ADAPTER_CONFIG, text(adapter.config)],
    ['gora_report.json', text(JSON.stringify(buildReport(result, model.spec, model.targets, data, modelId), null, 2) + '\n')],
    ['data_manifest.json', text(buildManifest(result.batches))],
  ]);
  if (options.saveInit) files.set('init_adapter.safetensors', peft(result.initial).weights);
  if (options.saveScan) {
    if (!result.scanGradients) throw new Error('--save-scan needs --method gora');
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
