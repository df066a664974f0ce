import type { GpuSlice } from './gpu';
import type { SettingsSlice } from './settings';
import type { ModelSlice } from './model';
import type { DatasetSlice } from './dataset';
import type { RunSlice } from './run';
import type { ComparisonSlice } from './comparison';
import type { PlaygroundSlice } from './playground';

export type Store = GpuSlice & SettingsSlice & ModelSlice & DatasetSlice & RunSlice & ComparisonSlice & PlaygroundSlice;
