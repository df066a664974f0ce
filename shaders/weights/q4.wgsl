// q4 W: eight 4-bit codes per word, element 8i in the low nibble; w = Q4_CODEBOOK[q] · scale, one f16
// scale per block of Q4_BLOCK consecutive elements (row-major over the whole matrix), two per word.
// Q4_BLOCK and Q4_CODEBOOK are prepended from src/engine/weight-format.ts, their one definition.
// Contract: shaders/weights/f32.wgsl (w_load4 needs Q4_BLOCK to be a multiple of 4, so its four
// elements share a block).

@group(0) @binding(W_BINDING) var<storage, read> w: array<u32>;
@group(0) @binding(W_SCALES_BINDING) var<storage, read> w_scales: array<u32>;

fn q4_scale(i: u32) -> f32 {
  let block = i / Q4_BLOCK;
  return unpack2x16float(w_scales[block / 2u])[block % 2u];
}

fn w_load(i: u32, row: u32) -> f32 {
  return Q4_CODEBOOK[(w[i / 8u] >> ((i % 8u) * 4u)) & 15u] * q4_scale(i);
}

fn w_load4(i4: u32, row: u32) -> vec4<f32> {
  let codes = (vec4<u32>(w[i4 / 2u] >> ((i4 % 2u) * 16u)) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(15u);
  let values = vec4<f32>(Q4_CODEBOOK[codes.x], Q4_CODEBOOK[codes.y], Q4_CODEBOOK[codes.z], Q4_CODEBOOK[codes.w]);
  return values * q4_scale(4u * i4);
}
