// A finished run's merged model, made in the page: the model loaded now — which must be the one the
// run trained — with the run's adapter added into its weights (src/export/merge.ts), in the
// checkpoint's dtype, as one zipped folder that loads without PEFT and back into this app.

import { zipSync } from 'fflate';
import { baseModelName } from '../export/base-model';
import { readCompanionFiles } from '../export/full-model';
import { checkpointModelDtype, mergedModelFiles } from '../export/merge';
import { MODEL_CARD } from '../export/model-card';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, readPeftAdapter } from '../export/peft';
import { openAnyModel } from '../model/open';
import { openModelFiles, type ModelSource } from './sources';

export async function mergedModelZip(source: ModelSource, runFiles: Record<string, Uint8Array>): Promise<{ zip: Uint8Array; folder: string }> {
  const text = (name: string) => new TextDecoder().decode(runFiles[name]);
  const modelFiles = await openModelFiles(source);
  const model = await openAnyModel(modelFiles);
  const name = source.kind === 'hub' ? source.id : source.name;
  const loaded = baseModelName(model.config, name, source.kind === 'hub' ? source.id : null);
  const trained = (JSON.parse(text(ADAPTER_CONFIG)) as { base_model_name_or_path?: string }).base_model_name_or_path;
  if (trained !== loaded) throw new Error(`this run trained ${trained}, and the model loaded now is ${loaded}: load ${trained} to merge its adapter`);
  const adapters = await readPeftAdapter(runFiles[ADAPTER_WEIGHTS], text(ADAPTER_CONFIG), model.targets);
  const dtype = checkpointModelDtype(model);
  const card = { adapterCard: runFiles[MODEL_CARD] ? text(MODEL_CARD) : null, baseModel: loaded };
  const merged = await mergedModelFiles(model, adapters, { dtype, companionFiles: await readCompanionFiles(modelFiles), card });
  const folder = `${loaded.split('/').at(-1)}-merged`;
  return { zip: zipSync(Object.fromEntries([...merged].map(([file, bytes]) => [`${folder}/${file}`, bytes])), { level: 0 }), folder };
}
