// int8 W: four signed bytes per word, element 4i in the low byte; w = q · scale[row], one f32 scale
// per stored row (output channel), held as its bits in u32 words. A byte is sign-extended by moving
// it to the top of an i32 and shifting back arithmetically. Contract: shaders/weights/f32.wgsl.

@group(0) @binding(W_BINDING) var<storage, read> w: array<u32>;
@group(0) @binding(W_SCALES_BINDING) var<storage, read> w_scales: array<u32>;

fn w_load(i: u32, row: u32) -> f32 {
  let q = bitcast<i32>(w[i / 4u] << ((3u - i % 4u) * 8u)) >> 24u;
  return f32(q) * bitcast<f32>(w_scales[row]);
}

fn w_load4(i4: u32, row: u32) -> vec4<f32> {
  let q = bitcast<vec4<i32>>(vec4<u32>(w[i4]) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u);
  return vec4<f32>(q) * bitcast<f32>(w_scales[row]);
}
