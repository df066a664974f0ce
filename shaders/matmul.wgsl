// Batched matrix product for training: the forward x·Wᵀ (TRANS_B), the weight gradient dYᵀ·X
// (TRANS_A) and the input gradient dY·W (neither).
//
//   C[b] = alpha · op(A[b]) · op(B[b]) + bias + (ACCUMULATE ? C[b] : 0)
//   op(A) is [M, K], stored [M, K], or [K, M] when TRANS_A
//   op(B) is [K, N], stored [K, N], or [N, K] when TRANS_B
//   bias is [N] (read only when HAS_BIAS); a stride of 0 broadcasts that operand over the batch.
//
// Each invocation computes a 4x4 block of C in registers; a 16x16 workgroup covers 64x64. Edge
// blocks clamp their loads to the last row/column (always in bounds, no branch in the K loop) and
// store only the elements inside C.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  stride_a: u32,
  stride_b: u32,
  stride_c: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn a_at(base: u32, row: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[base + k * p.M + row]; }
  return a[base + row * p.K + k];
}

fn b_at(base: u32, k: u32, col: u32) -> f32 {
  if (TRANS_B) { return b[base + col * p.K + k]; }
  return b[base + k * p.N + col];
}

@compute @workgroup_size(16, 16, 1)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row0 = gid.y * 4u;
  let col0 = gid.x * 4u;
  if (row0 >= p.M || col0 >= p.N) { return; }
  let a_base = gid.z * p.stride_a;
  let b_base = gid.z * p.stride_b;
  let c_base = gid.z * p.stride_c;

  let rows = min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.M - 1u));
  let cols = min(vec4<u32>(col0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.N - 1u));

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k = 0u; k < p.K; k++) {
    let av = vec4<f32>(a_at(a_base, rows.x, k), a_at(a_base, rows.y, k), a_at(a_base, rows.z, k), a_at(a_base, rows.w, k));
    let bv = vec4<f32>(b_at(b_base, k, cols.x), b_at(b_base, k, cols.y), b_at(b_base, k, cols.z), b_at(b_base, k, cols.w));
    acc0 += av.x * bv;
    acc1 += av.y * bv;
    acc2 += av.z * bv;
    acc3 += av.w * bv;
  }

  var bias_v = vec4<f32>(0.0);
  if (HAS_BIAS) { bias_v = vec4<f32>(bias[cols.x], bias[cols.y], bias[cols.z], bias[cols.w]); }
  let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + i;
    if (row >= p.M) { break; }
    let out = p.alpha * accs[i] + bias_v;
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + j;
      if (col >= p.N) { break; }
      let idx = c_base + row * p.N + col;
      if (ACCUMULATE) { c[idx] += out[j]; } else { c[idx] = out[j]; }
    }
  }
}
