// Settings slice: what the user chose (persisted across reloads): method, hyper-parameters, model
// and dataset choices, the hub address.

import type { StateCreator } from 'zustand';
import { defaultConfig, switchMethod, type JobConfig } from '../../train/config';
import { DEFAULT_METHOD } from '../../train/settings';
import { DEFAULT_HUB } from '../../model/hub';
import type { Store } from './types';

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
  // The CLI's defaults (the settings table's), so a run in the app and one from the CLI agree.
  config: defaultConfig(DEFAULT_METHOD),
  hubUrl: DEFAULT_HUB,
  hubModelId: '',
  sampleDataset: 'sentiment',
  // A new method brings its own defaults where the user kept the old method's (switchMethod).
  setConfig: (change) =>
    set((s) => {
      const base = change.method && change.method !== s.config.method ? switchMethod(s.config, change.method) : s.config;
      return { config: { ...base, ...change } };
    }),
  resetConfig: () => set((s) => ({ config: defaultConfig(s.config.method) })),
  setHubUrl: (hubUrl) => set({ hubUrl }),
  setHubModelId: (hubModelId) => set({ hubModelId }),
});

/** What persists: settings only, never files or results. */
export function persistedSettings(s: Store) {
  return { config: s.config, hubUrl: s.hubUrl, hubModelId: s.hubModelId, sampleDataset: s.sampleDataset, compareMethods: s.compareMethods, compareSeeds: s.compareSeeds, compareSameLr: s.compareSameLr };
}
