// Dataset slice: the chosen data, prepared on the page exactly as the run will prepare it, for the
// preview (the first examples as the model sees them) and for errors with line numbers.

import type { StateCreator } from 'zustand';
import { prepareDataset, type DatasetStats } from '../../data/prepare';
import { promptLength } from '../../data/tokenize';
import { readDataSource, type DataSource } from '../sources';
import type { Store } from './types';

export interface PreviewRow {
  prompt: string;
  completion: string;
  tokens: number;
}

export interface DatasetSlice {
  dataSource: DataSource;
  dataStatus: 'idle' | 'loading' | 'ready' | 'error';
  preview: PreviewRow[];
  dataStats: DatasetStats | null;
  dataLabels: string[] | null;
  dataError: string | null;
  selectDataset: (source: DataSource) => Promise<void>;
  refreshPreview: () => Promise<void>;
}

const PREVIEW_ROWS = 5;

export const datasetSlice: StateCreator<Store, [], [], DatasetSlice> = (set, get) => ({
  dataSource: { kind: 'sample', name: 'sentiment' },
  dataStatus: 'idle',
  preview: [],
  dataStats: null,
  dataLabels: null,
  dataError: null,
  selectDataset: async (dataSource) => {
    set({ dataSource, ...(dataSource.kind === 'sample' ? { sampleDataset: dataSource.name } : {}) });
    await get().refreshPreview();
  },
  refreshPreview: async () => {
    const { dataSource, tokenizer, config, modelInfo } = get();
    if (!tokenizer) return;
    set({ dataStatus: 'loading', dataError: null });
    try {
      const { text, fileName } = await readDataSource(dataSource);
      const data = prepareDataset(text, fileName, tokenizer, { seqLen: config.seqLen, batchSize: config.batchSize, seed: config.seed, valFraction: config.valFraction, separator: config.separator, seq2seq: modelInfo?.seq2seq ?? undefined });
      if (get().dataSource !== dataSource) return;
      const decode = (ids: Uint32Array) => tokenizer.decode(Array.from(ids), { skipSpecialTokens: false });
      const preview = data.train.slice(0, PREVIEW_ROWS).map((row) => {
        const cut = promptLength(row);
        return { prompt: decode(row.ids.subarray(0, cut)), completion: decode(row.ids.subarray(cut)), tokens: row.ids.length };
      });
      set({ dataStatus: 'ready', preview, dataStats: data.stats, dataLabels: data.labels?.labels ?? null });
    } catch (error) {
      if (get().dataSource === dataSource) set({ dataStatus: 'error', dataError: error instanceof Error ? error.message : String(error), preview: [], dataStats: null, dataLabels: null });
    }
  },
});
