// bf16 W: two bfloat16 per word, element 2i in the low half. A bfloat16 is the top half of an f32,
// so widening is a shift (core WGSL; no shader-f16 needed). Contract: shaders/weights/f32.wgsl.

@group(0) @binding(W_BINDING) var<storage, read> w: array<u32>;

fn w_load(i: u32, row: u32) -> f32 {
  return bitcast<f32>((w[i / 2u] >> ((i % 2u) * 16u)) << 16u);
}

fn w_load4(i4: u32, row: u32) -> vec4<f32> {
  let lo = w[2u * i4];
  let hi = w[2u * i4 + 1u];
  return bitcast<vec4<f32>>(vec4<u32>(lo << 16u, lo & 0xffff0000u, hi << 16u, hi & 0xffff0000u));
}
