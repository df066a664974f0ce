// Activations of the MLP block, elementwise over n floats (n = B·T·hidden).
//
//   swiglu (Llama, Qwen):  out = silu(gate) · up,  silu(g) = g · sigmoid(g)
//   gelu (GPT-2's gelu_new, the tanh approximation):
//                          out = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
//   geglu (T5 v1.1's gated-gelu):  out = gelu(gate) · up
//   relu (T5 v1.0):        out = max(x, 0), gradient 1 for x > 0 and 0 otherwise (as PyTorch's)
//
// Backward entry points add into their gradients. The 1-D grid may fold into y past 65,535
// workgroups (grid1d in src/gpu/dispatch.ts): the flat index is gid.x + gid.y · (num_workgroups.x · 256).

struct Params {
  n: u32,
}

const GELU_K: f32 = 0.7978845608028654; // √(2/π)
const GELU_A: f32 = 0.044715;

@group(0) @binding(0) var<uniform> p: Params;

// Each entry point declares its own bindings, in the order its wrapper passes them; WGSL allows
// equal binding numbers in one module as long as no entry point uses two of them.

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

/** sigmoid through exp(−|x|) ∈ (0, 1], which cannot overflow for any x. */
fn sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

/**
 * The two factors of gelu_new written through e = exp(−2|u|) ∈ (0, 1]:
 *   0.5 · (1 + tanh(u)) = sigmoid(2u)       = u ≥ 0 ? 1/(1 + e) : e/(1 + e)
 *   0.5 · (1 − tanh²(u)) = 2 · sigmoid(2u) · (1 − sigmoid(2u)) = 2e/(1 + e)²
 * The same function as PyTorch's, without calling tanh: exp of a non-positive argument cannot
 * overflow (some drivers build tanh from exp(2u), which gives inf/inf = NaN for large |u|), and
 * neither factor is a difference of nearly equal numbers (1 + tanh(u) for negative u, or 1 − t²,
 * which magnify tanh's rounding error up to 14-fold in the gradient at |x| ≈ 6).
 */
fn gelu_factors(x: f32) -> vec2<f32> {
  let u = GELU_K * (x + GELU_A * x * x * x);
  let e = exp(-2.0 * abs(u));
  let r = 1.0 / (1.0 + e);
  return vec2<f32>(select(e * r, r, u >= 0.0), 2.0 * e * r * r);
}

// ---- SwiGLU ----------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read_write> sw_out: array<f32>; // [n]
@group(0) @binding(2) var<storage, read> sw_gate: array<f32>; // [n]
@group(0) @binding(3) var<storage, read> sw_up: array<f32>; // [n]

@compute @workgroup_size(256)
fn swiglu_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  let g = sw_gate[i];
  sw_out[i] = g * sigmoid(g) * sw_up[i];
}

@group(0) @binding(1) var<storage, read_write> sw_dgate: array<f32>; // [n]
@group(0) @binding(2) var<storage, read_write> sw_dup: array<f32>; // [n]
@group(0) @binding(3) var<storage, read> sw_dout: array<f32>; // [n]
@group(0) @binding(4) var<storage, read> sw_g: array<f32>; // [n]
@group(0) @binding(5) var<storage, read> sw_u: array<f32>; // [n]

// silu'(g) = s + g · s · (1 − s) with s = sigmoid(g); finite for every finite g (s → 0 first).
@compute @workgroup_size(256)
fn swiglu_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  let g = sw_g[i];
  let s = sigmoid(g);
  let d = sw_dout[i];
  sw_dgate[i] += d * sw_u[i] * s * (1.0 + g * (1.0 - s));
  sw_dup[i] += d * g * s;
}

// ---- GELU (tanh approximation) ---------------------------------------------------------------

@group(0) @binding(1) var<storage, read_write> ge_out: array<f32>; // [n]
@group(0) @binding(2) var<storage, read> ge_inp: array<f32>; // [n]

@compute @workgroup_size(256)
fn gelu_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  let x = ge_inp[i];
  ge_out[i] = x * gelu_factors(x).x;
}

@group(0) @binding(1) var<storage, read_write> ge_dinp: array<f32>; // [n]
@group(0) @binding(2) var<storage, read> ge_dout: array<f32>; // [n]
@group(0) @binding(3) var<storage, read> ge_x: array<f32>; // [n]

// gelu'(x) = 0.5 · (1 + t) + 0.5 · x · (1 − t²) · √(2/π) · (1 + 3 · 0.044715 · x²), t = tanh(u).
// Once e underflows to 0 the second term is dropped before it could become 0 · inf = NaN (x² past
// f32's range); it is exactly 0 there anyway.
fn gelu_grad(x: f32) -> f32 {
  let f = gelu_factors(x);
  var grad = f.x;
  if (f.y > 0.0) { grad += x * f.y * GELU_K * (1.0 + 3.0 * GELU_A * x * x); }
  return grad;
}

@compute @workgroup_size(256)
fn gelu_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  ge_dinp[i] += ge_dout[i] * gelu_grad(ge_x[i]);
}

// ---- GeGLU (gated GELU) ----------------------------------------------------------------------

@group(0) @binding(1) var<storage, read_write> gg_out: array<f32>; // [n]
@group(0) @binding(2) var<storage, read> gg_gate: array<f32>; // [n]
@group(0) @binding(3) var<storage, read> gg_up: array<f32>; // [n]

@compute @workgroup_size(256)
fn geglu_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  let g = gg_gate[i];
  gg_out[i] = g * gelu_factors(g).x * gg_up[i];
}

@group(0) @binding(1) var<storage, read_write> gg_dgate: array<f32>; // [n]
@group(0) @binding(2) var<storage, read_write> gg_dup: array<f32>; // [n]
@group(0) @binding(3) var<storage, read> gg_dout: array<f32>; // [n]
@group(0) @binding(4) var<storage, read> gg_g: array<f32>; // [n]
@group(0) @binding(5) var<storage, read> gg_u: array<f32>; // [n]

@compute @workgroup_size(256)
fn geglu_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  let g = gg_g[i];
  let d = gg_dout[i];
  gg_dgate[i] += d * gg_u[i] * gelu_grad(g);
  gg_dup[i] += d * g * gelu_factors(g).x;
}

// ---- ReLU ------------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read_write> re_out: array<f32>; // [n]
@group(0) @binding(2) var<storage, read> re_inp: array<f32>; // [n]

@compute @workgroup_size(256)
fn relu_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  re_out[i] = max(re_inp[i], 0.0);
}

@group(0) @binding(1) var<storage, read_write> re_dinp: array<f32>; // [n]
@group(0) @binding(2) var<storage, read> re_dout: array<f32>; // [n]
@group(0) @binding(3) var<storage, read> re_x: array<f32>; // [n]

@compute @workgroup_size(256)
fn relu_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  re_dinp[i] += select(0.0, re_dout[i], re_x[i] > 0.0);
}
