// Rotary position embedding, Hugging Face's rotate-half convention, applied in place.
// x is [N, H, D] with N = B·T rows (row n is at position n % T); cos and sin are [T, D/2]
// tables built on the CPU (src/engine/rope-tables.ts: rope_theta and llama3 scaling).
//   forward:  (x1, x2) ← (x1·cos − x2·sin, x2·cos + x1·sin)      x1 = x[:D/2], x2 = x[D/2:]
//   backward: the transpose, a rotation by −θ, turning ∂L/∂(rotated x) into ∂L/∂x in place.

struct Params {
  N: u32,
  T: u32,
  H: u32,
  D: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> cos_table: array<f32>;
@group(0) @binding(3) var<storage, read> sin_table: array<f32>;

fn rotate(gid: vec3<u32>, groups: vec3<u32>, direction: f32) {
  let half = p.D / 2u;
  let flat = gid.x + gid.y * groups.x * 256u;
  if (flat >= p.N * p.H * half) { return; }
  let i = flat % half;
  let row = flat / half; // n·H + h
  let t = (row / p.H) % p.T;
  let c = cos_table[t * half + i];
  let s = direction * sin_table[t * half + i];
  let base = row * p.D;
  let x1 = x[base + i];
  let x2 = x[base + i + half];
  x[base + i] = x1 * c - x2 * s;
  x[base + i + half] = x2 * c + x1 * s;
}

@compute @workgroup_size(256)
fn rope_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  rotate(gid, groups, 1.0);
}

@compute @workgroup_size(256)
fn rope_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  rotate(gid, groups, -1.0);
}
