// Packs a uniform block. Every field is a 4-byte scalar, so WGSL's layout is the field order with no
// padding inside; the block is padded to 16 bytes as uniform buffers require. The TS field order must
// match the WGSL struct's order.

export type UniformField = readonly [type: 'u32' | 'i32' | 'f32', value: number];

export function packUniforms(fields: readonly UniformField[]): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const data = new ArrayBuffer(bytes);
  const view = new DataView(data);
  fields.forEach(([type, value], i) => {
    if (!Number.isFinite(value)) throw new RangeError(`uniform field ${i} is not a finite number: ${value}`);
    if (type === 'f32') view.setFloat32(i * 4, value, true);
    else if (type === 'u32') view.setUint32(i * 4, checkedInt(value, 0, 0xffffffff, i), true);
    else view.setInt32(i * 4, checkedInt(value, -0x80000000, 0x7fffffff, i), true);
  });
  return data;
}

function checkedInt(value: number, min: number, max: number, index: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`uniform field ${index} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}
