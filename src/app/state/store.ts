// The app's one store, made of typed slices; actions live in the store, components select single
// fields. Settings persist across reloads (localStorage); files and results never do.

import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { datasetSlice } from './dataset';
import { gpuSlice } from './gpu';
import { modelSlice } from './model';
import { runSlice } from './run';
import { comparisonSlice } from './comparison';
import { playgroundSlice } from './playground';
import { persistedSettings, settingsSlice } from './settings';
import type { Store } from './types';

export const useStore = create<Store>()(
  persist(
    (...a) => ({ ...gpuSlice(...a), ...settingsSlice(...a), ...modelSlice(...a), ...datasetSlice(...a), ...runSlice(...a), ...comparisonSlice(...a), ...playgroundSlice(...a) }),
    {
      name: 'gora-studio-settings',
      version: 1,
      partialize: persistedSettings,
      // Settings saved by an earlier version lack the newer keys: those keep their defaults.
      merge: (saved, current) => {
        const s = (saved ?? {}) as Partial<Store>;
        return { ...current, ...s, config: { ...current.config, ...s.config } };
      },
    },
  ),
);
