// Settings slice: what the user chose (persisted across reloads): method, hyper-parameters, model
// and dataset choices, the hub address.

import type { StateCreator } from 'zustand';
import { defaultConfig, weightFormatProblem, type JobConfig, type Method } from '../../train/config';
import { DEFAULT_HUB } from '../../model/hub';
import type { Store } from './types';

/** A short schedule that finishes in minutes on a laptop GPU. */
export function appDefaults(method: Method): JobConfig {
  return { ...defaultConfig(method), steps: 60, batchSize: 8, seqLen: 64, lr: 1e-3, scanBatches: 8, evalEvery: 20, evalBatches: 8, generateSamples: 3, maxNewTokens: 8 };
}

export interface SettingsSlice {
  config: JobConfig;
  hubUrl: string;
  hubModelId: string;
  sampleDataset: string;
  setConfig: (change: Partial<JobConfig>) => void;
  resetConfig: () => void;
  setHubUrl: (url: string) => void;
  setHubModelId: (id: string) => void;
}

export const settingsSlice: StateCreator<Store, [], [], SettingsSlice> = (set) => ({
  config: appDefaults('gora'),
  hubUrl: DEFAULT_HUB,
  hubModelId: '',
  sampleDataset: 'sentiment',
  setConfig: (change) =>
    set((s) => {
      // Switching method switches LoRA+ to that method's default, and the weight format back to the
      // checkpoint's when the new method cannot use the one chosen.
      const methodChanged = change.method && change.method !== s.config.method;
      const weights = s.config.weights;
      const forMethod = methodChanged
        ? { loraPlusRatio: defaultConfig(change.method!).loraPlusRatio, ...(weights && weightFormatProblem(change.method!, weights) ? { weights: null } : {}) }
        : {};
      return { config: { ...s.config, ...forMethod, ...change } };
    }),
  resetConfig: () => set((s) => ({ config: appDefaults(s.config.method) })),
  setHubUrl: (hubUrl) => set({ hubUrl }),
  setHubModelId: (hubModelId) => set({ hubModelId }),
});

/** What persists: settings only, never files or results. */
export function persistedSettings(s: Store) {
  return { config: s.config, hubUrl: s.hubUrl, hubModelId: s.hubModelId, sampleDataset: s.sampleDataset, compareMethods: s.compareMethods, compareSeeds: s.compareSeeds, compareSameLr: s.compareSameLr };
}
