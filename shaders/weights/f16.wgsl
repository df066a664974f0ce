// f16 W: two IEEE binary16 per word, element 2i in the low half, widened by unpack2x16float (core
// WGSL; no shader-f16 needed). Contract: shaders/weights/f32.wgsl.

@group(0) @binding(W_BINDING) var<storage, read> w: array<u32>;

fn w_load(i: u32, row: u32) -> f32 {
  return unpack2x16float(w[i / 2u])[i % 2u];
}

fn w_load4(i4: u32, row: u32) -> vec4<f32> {
  return vec4<f32>(unpack2x16float(w[2u * i4]), unpack2x16float(w[2u * i4 + 1u]));
}
