// Where a model and a dataset come from, as plain data that can cross to the Web Worker, and how to
// open each. Used by the page (model info, tokenizer for the preview) and by the worker (the run).

import { memoryFiles, browserFiles, type ModelFiles } from '../model/bytes';
import { openHubModel, type HubProgress } from '../model/hub';
import { ModelFormatError } from '../model/errors';
import { savedRunData } from './saved-runs';
import { BUILT_IN_MODELS } from '../model/built-in';

export type ModelSource = { kind: 'embedded'; name: string } | { kind: 'folder'; name: string; files: File[] } | { kind: 'hub'; hub: string; id: string };

/** `saved`: an uploaded file's text kept with an unfinished run (src/app/saved-runs.ts). */
export type DataSource = { kind: 'sample'; name: string } | { kind: 'file'; file: File } | { kind: 'saved'; fileName: string };

export const EMBEDDED_MODELS = BUILT_IN_MODELS;
export const EMBEDDED_MODEL = BUILT_IN_MODELS[0].name;
export const SAMPLE_DATASETS = [
  { name: 'sentiment', title: 'Sentiment (positive / negative reviews)' },
  { name: 'arithmetic', title: 'Arithmetic word problems' },
  { name: 'sentiment-t5', title: 'Sentiment for T5 (sst2 sentence: … → positive)' },
];
const EMBEDDED_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
/** What a download of the built-in model holds: the files that load it, and its model card (sources, licences). */
export const EMBEDDED_DOWNLOAD_FILES = [...EMBEDDED_FILES, 'README.md'];

/** Served from the app's own origin (public/). */
export function publicUrl(path: string): string {
  return new URL(`${import.meta.env.BASE_URL}${path}`, self.location.href).href;
}

export function describeModel(source: ModelSource): string {
  return source.kind === 'embedded' ? `${source.name} (built in)` : source.kind === 'folder' ? `${source.name} (folder)` : source.id;
}

export async function openModelFiles(source: ModelSource, onProgress?: (p: HubProgress) => void): Promise<ModelFiles> {
  if (source.kind === 'folder') return browserFiles(source.files);
  if (source.kind === 'hub') return openHubModel(source.hub, source.id, onProgress);
  return memoryFiles(await fetchEmbeddedFiles(source.name, EMBEDDED_FILES, onProgress));
}

/** Files of the built-in model as the app serves them, by name. */
export async function fetchEmbeddedFiles(model: string, names: readonly string[], onProgress?: (p: HubProgress) => void): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  let bytes = 0;
  for (const name of names) {
    const response = await fetch(publicUrl(`models/${model}/${name}`));
    if (!response.ok) throw new ModelFormatError(name, `of the built-in model could not be loaded (${response.status})`);
    const data = new Uint8Array(await response.arrayBuffer());
    bytes += data.byteLength;
    files.set(name, data);
    onProgress?.({ file: name, bytes, totalBytes: null, fromCache: false });
  }
  return files;
}

export async function readDataSource(source: DataSource, runId?: string): Promise<{ text: string; fileName: string }> {
  if (source.kind === 'file') return { text: await source.file.text(), fileName: source.file.name };
  if (source.kind === 'saved') {
    const text = runId ? await savedRunData(runId) : null;
    if (text === null) throw new Error('the data of this run is no longer stored in the browser');
    return { text, fileName: source.fileName };
  }
  const response = await fetch(publicUrl(`datasets/${source.name}.jsonl`));
  if (!response.ok) throw new Error(`the sample dataset ${source.name} could not be loaded (${response.status})`);
  return { text: await response.text(), fileName: `${source.name}.jsonl` };
}
