// Model slice: the chosen model source, opened on the page for its shape and tokenizer (the dataset
// preview needs it); the worker opens the same source again for the run (from the cache).

import type { StateCreator } from 'zustand';
import { openAnyModel } from '../../model/open';
import { modelKind } from '../../train/model-kinds';
import type { Seq2SeqIds } from '../../data/seq2seq';
import { clearHubCache } from '../../model/hub';
import type { Tokenizer } from '../../model/tokenizer';
import type { ModelSpec } from '../../model/spec';
import type { WeightFormat } from '../../engine/weight-format';
import type { JobConfig, Method } from '../../train/config';
import { METHOD_IDS } from '../../train/methods';
import { describeModel, EMBEDDED_MODEL, openModelFiles, type ModelSource } from '../sources';
import type { Store } from './types';
import { advanceRate, openRate } from '../../train/rate';

export interface ModelInfo {
  name: string;
  /** The memory plan's model (decoder-only); null for a model it does not plan (T5). */
  spec: ModelSpec | null;
  architecture: string;
  /** "4 layers × 128" */
  shape: string;
  parameters: number;
  /** An encoder-decoder model's ids for its data (the preview reads rows as the run will); else null. */
  seq2seq: Seq2SeqIds | null;
  targets: number;
  /** The dtype of its linear weights in the checkpoint (BF16, F16, F32): the default storage format. */
  dtype: string;
  /** The formats its frozen weights can be held in (a T5 model: f32 only). */
  formats: readonly WeightFormat[];
  /** Why a method cannot train this model, by method (a T5 model: no full training). */
  methodProblems: Partial<Record<Method, string>>;
}

function methodProblems(kind: ReturnType<typeof modelKind>): Partial<Record<Method, string>> {
  return Object.fromEntries(METHOD_IDS.flatMap((m) => {
    const problem = kind.methodProblem(m);
    return problem ? [[m, problem]] : [];
  }));
}

/** What this model cannot run of the settings (the method, the weights' format), or null. */
export function modelSettingProblem(info: ModelInfo | null, config: JobConfig): string | null {
  if (!info) return null;
  const method = info.methodProblems[config.method];
  if (method) return method;
  if (config.weights && !info.formats.includes(config.weights)) return `a ${info.architecture} model holds its frozen weights in ${info.formats.join(' or ')}: set Frozen weights to the checkpoint's`;
  return null;
}

export interface ModelProgress {
  file: string;
  bytes: number;
  totalBytes: number | null;
  fromCache: boolean;
  /** Bytes per second since the load began (null until time has passed). */
  rate?: number | null;
}

export interface ModelSlice {
  /** The model runs use: the last one that loaded (a failed load leaves it in place). */
  modelSource: ModelSource;
  /** The model being loaded, which becomes modelSource once it has loaded. */
  modelPending: ModelSource | null;
  modelStatus: 'idle' | 'loading' | 'ready' | 'error';
  modelInfo: ModelInfo | null;
  modelProgress: ModelProgress | null;
  modelError: string | null;
  tokenizer: Tokenizer | null;
  loadModel: (source: ModelSource) => Promise<void>;
  clearModelCache: () => Promise<void>;
}

export const modelSlice: StateCreator<Store, [], [], ModelSlice> = (set, get) => ({
  modelSource: { kind: 'embedded', name: EMBEDDED_MODEL },
  modelPending: null,
  modelStatus: 'idle',
  modelInfo: null,
  modelProgress: null,
  modelError: null,
  tokenizer: null,
  loadModel: async (source) => {
    // The working model stays until the new one has loaded: a folder without tokenizer.json or a
    // failed download must not leave the page with no model at all.
    set({ modelPending: source, modelStatus: 'loading', modelError: null, modelProgress: null });
    try {
      let window = openRate(Date.now());
      const files = await openModelFiles(source, (p) => {
        const advanced = advanceRate(window, p.bytes, Date.now());
        window = advanced.window;
        if (get().modelPending === source) set({ modelProgress: { ...p, rate: advanced.rate } });
      });
      const model = await openAnyModel(files);
      if (get().modelPending !== source) return; // another model was picked meanwhile
      if (!model.tokenizer) throw new Error('the model has no tokenizer.json, which fine-tuning needs');
      const kind = modelKind(model);
      const { architecture, shape, parameters, dtype, spec, formats } = kind.summary(model);
      set({
        modelSource: source,
        modelPending: null,
        modelStatus: 'ready',
        tokenizer: model.tokenizer,
        modelInfo: { name: describeModel(source), spec, architecture, shape, parameters, seq2seq: kind.seq2seq(model), targets: model.targets.length, dtype, formats, methodProblems: methodProblems(kind) },
      });
      await get().refreshPreview();
    } catch (error) {
      if (get().modelPending !== source) return;
      const message = error instanceof Error ? error.message : String(error);
      const kept = get().modelInfo;
      set({
        modelPending: null,
        modelProgress: null,
        modelStatus: kept ? 'ready' : 'error',
        modelError: `${describeModel(source)} could not be loaded: ${message}${kept ? `. Still using ${kept.name}.` : ''}`,
      });
    }
  },
  clearModelCache: async () => {
    await clearHubCache();
  },
});
