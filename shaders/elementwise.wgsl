// Elementwise kernels over n floats. The 1-D grid may fold into y past 65,535 workgroups
// (see grid1d in src/gpu/dispatch.ts), so the flat index is gid.x + gid.y · (num_workgroups.x · 256).
//   add:   out = x + y
//   scale: out = alpha · x
//   axpy:  out += alpha · x

struct Params {
  n: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@compute @workgroup_size(256)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < p.n) { out[i] = x[i] + y[i]; }
}

@compute @workgroup_size(256)
fn scale(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < p.n) { out[i] = p.alpha * x[i]; }
}

@compute @workgroup_size(256)
fn axpy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i < p.n) { out[i] += p.alpha * x[i]; }
}

// copy_columns: out[n·ld_out + off_out + c] = x[n·ld_x + off_x + c] for n < rows, c < width.
// Splits GPT-2's fused [N, 3C] q|k|v projection into three [N, C] buffers, and merges their
// gradients back.
struct CopyParams {
  rows: u32,
  width: u32,
  ld_out: u32,
  off_out: u32,
  ld_x: u32,
  off_x: u32,
}

@group(0) @binding(0) var<uniform> cp: CopyParams;

@compute @workgroup_size(256)
fn copy_columns(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= cp.rows * cp.width) { return; }
  let n = i / cp.width;
  let c = i % cp.width;
  out[n * cp.ld_out + cp.off_out + c] = x[n * cp.ld_x + cp.off_x + c];
}
