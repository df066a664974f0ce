// f32 W for kernels that read it four floats at a time (shaders/matmul-vec4.wgsl): the binding is an
// array of vec4 so that w_load4 is one vector load, as the kernel did before W had formats. Same
// contract as shaders/weights/f32.wgsl.

@group(0) @binding(W_BINDING) var<storage, read> w: array<vec4<f32>>;

fn w_load(i: u32, row: u32) -> f32 {
  return w[i / 4u][i % 4u];
}

fn w_load4(i4: u32, row: u32) -> vec4<f32> {
  return w[i4];
}
