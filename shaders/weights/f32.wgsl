// Decoding of a stored weight W (src/engine/weight-format.ts), prepended to a kernel that reads W
// (src/engine/ops/weights.ts). Every decoding file defines the same things:
//   w, w_scales              the data and (for int8 and q4) scales bindings, at the numbers the
//                            kernel sets in W_BINDING and W_SCALES_BINDING
//   w_load(i, row)           element i of W in row-major order, which lies in stored row `row`
//   w_load4(i4, row)         elements 4·i4 … 4·i4 + 3, all in stored row `row` (the caller
//                            guarantees cols is a multiple of 4)
// f32: the floats themselves, read as they always were (after inlining, the same loads).

@group(0) @binding(W_BINDING) var<storage, read> w: array<f32>;

fn w_load(i: u32, row: u32) -> f32 {
  return w[i];
}

fn w_load4(i4: u32, row: u32) -> vec4<f32> {
  let i = 4u * i4;
  return vec4<f32>(w[i], w[i + 1u], w[i + 2u], w[i + 3u]);
}
