// Every WGSL file, imported as text (Vite's `?raw`; in Node through scripts/raw-import.mjs).

import type { Shader } from '../../gpu/pipelines';
import elementwise from '../../../shaders/elementwise.wgsl?raw';
import matmul from '../../../shaders/matmul.wgsl?raw';
import reduce from '../../../shaders/reduce.wgsl?raw';

export const SHADERS = {
  elementwise: { name: 'shaders/elementwise.wgsl', code: elementwise },
  matmul: { name: 'shaders/matmul.wgsl', code: matmul },
  reduce: { name: 'shaders/reduce.wgsl', code: reduce },
} satisfies Record<string, Shader>;
