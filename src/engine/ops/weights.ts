// Kernels that read a stored weight W get it through a decoding file per format
// (shaders/weights/<format>.wgsl, defining `w`, `w_scales`, w_load and w_load4). WGSL has no
// includes, so each (kernel, format) pair is one module: the decoding file, then the kernel source.
// The pipeline cache keys by module source (src/gpu/pipelines.ts), so every pair compiles once.

import type { Shader } from '../../gpu/pipelines';
import { Q4_BLOCK, Q4_CODEBOOK, type PackedWeight, type WeightFormat } from '../weight-format';
import f32 from '../../../shaders/weights/f32.wgsl?raw';
import f32x4 from '../../../shaders/weights/f32x4.wgsl?raw';
import bf16 from '../../../shaders/weights/bf16.wgsl?raw';
import f16 from '../../../shaders/weights/f16.wgsl?raw';
import int8 from '../../../shaders/weights/int8.wgsl?raw';
import q4 from '../../../shaders/weights/q4.wgsl?raw';

/** How a kernel reads W: one element at a time, or as vec4 (f32 then binds array<vec4<f32>>). */
export type WeightAccess = 'scalar' | 'vec4';

// Floats print in their shortest round-trip form, which WGSL parses back to the same f32.
const q4Constants =
  `const Q4_BLOCK = ${Q4_BLOCK}u;\n` +
  // A private copy rather than a const, which some compilers may rebuild at each run-time index; on
  // SwiftShader the two measured the same (docs/weights.md).
  `var<private> Q4_CODEBOOK: array<f32, 16> = array<f32, 16>(${Array.from(Q4_CODEBOOK, (v) => `${v}`).join(', ')});\n`;

const DECODERS: Record<WeightFormat, { name: string; code: string }> = {
  f32: { name: 'f32', code: f32 },
  bf16: { name: 'bf16', code: bf16 },
  f16: { name: 'f16', code: f16 },
  int8: { name: 'int8', code: int8 },
  q4: { name: 'q4', code: q4Constants + q4 },
};
const F32X4 = { name: 'f32x4', code: f32x4 };

const cache = new Map<string, Shader>();

/** The module of `kernel` reading W in `format` (kernel.code needs the decoding file in front). */
export function weightShader(kernel: Shader, format: WeightFormat, access: WeightAccess = 'scalar'): Shader {
  const decoder = format === 'f32' && access === 'vec4' ? F32X4 : DECODERS[format];
  const key = `${kernel.name}\n${decoder.name}`;
  let shader = cache.get(key);
  if (!shader) {
    shader = { name: `${kernel.name} + shaders/weights/${decoder.name}.wgsl`, code: `${decoder.code}\n${kernel.code}` };
    cache.set(key, shader);
  }
  return shader;
}

/** A plain f32 buffer is an f32 weight of any shape; a packed one carries its own. */
export type WeightOperand = GPUBuffer | PackedWeight;

export function isPacked(b: WeightOperand): b is PackedWeight {
  return 'format' in b && 'data' in b;
}

