// Batched matrix product for training, any shape: the forward x·Wᵀ (TRANS_B), the weight gradient
// dYᵀ·X (TRANS_A) and the input gradient dY·W (neither).
//
//   C[b] = alpha · op(A[b]) · op(B[b]) + bias + (ACCUMULATE ? C[b] : 0)
//   op(A) is [M, K], stored [M, K], or [K, M] when TRANS_A
//   op(B) is [K, N], stored [K, N], or [N, K] when TRANS_B
//   bias is [N] (read only when HAS_BIAS); a stride of 0 broadcasts that operand over the batch.
//
// The `serial` variant's kernel for shapes that shaders/matmul-vec4.wgsl cannot read as vec4 (for
// example a GoRA rank that is not a multiple of 4). Each invocation holds an 8×8 block of C in
// registers (four mat4x4) and reads 16 floats per k for 64 multiply-adds; a 4×4 block (8 floats for
// 16) measured 1.3–3.2× slower on SwiftShader (bench/README.md, "Kernel choices"). Invocations walk a
// 1-D list of blocks, so a rank-sized N or M leaves no lane idle. Edge blocks clamp their loads to
// the last row/column (always in bounds, no branch in the K loop) and store only the elements in C.
//
// B is read through w_load from a decoding file prepended by src/engine/ops/weights.ts
// (shaders/weights/*.wgsl), so B may be a stored weight of any format (batch 1 for packed formats).

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false;
// Adds alpha2 · A2 · op(B2) (batch 1 only; op as for B) before the store: a LoRA term s·(xAᵀ)·Bᵀ
// (TRANS_B) or du·A (not TRANS_B) in the same pass, so C is written once (src/engine/linear.ts).
override LOW_RANK: bool = false;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  stride_a: u32,
  stride_b: u32,
  stride_c: u32,
  alpha: f32,
  blocks_n: u32, // ceil(N / 8)
  blocks: u32, // ceil(M / 8) · ceil(N / 8), per batch item
  K2: u32, // A2 [M, K2], B2 [K2, N] (or [N, K2] when TRANS_B)
  alpha2: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
// B (`w`, and `w_scales` for int8 and q4) is declared by the prepended decoding file.
const W_BINDING = 3u;
const W_SCALES_BINDING = 7u;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> a2: array<f32>;
@group(0) @binding(6) var<storage, read> b2: array<f32>;

const WG = 64u;

fn a_at(base: u32, row: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[base + k * p.M + row]; }
  return a[base + row * p.K + k];
}

fn b_at(base: u32, k: u32, col: u32) -> f32 {
  if (TRANS_B) { return w_load(base + col * p.K + k, col); }
  return w_load(base + k * p.N + col, k);
}

fn a4(base: u32, rows: vec4<u32>, k: u32) -> vec4<f32> {
  return vec4<f32>(a_at(base, rows.x, k), a_at(base, rows.y, k), a_at(base, rows.z, k), a_at(base, rows.w, k));
}

fn b4(base: u32, k: u32, cols: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(b_at(base, k, cols.x), b_at(base, k, cols.y), b_at(base, k, cols.z), b_at(base, k, cols.w));
}

fn b2_at(k: u32, col: u32) -> f32 {
  if (TRANS_B) { return b2[col * p.K2 + k]; }
  return b2[k * p.N + col];
}

// The rank-1 update of a 4×4 block at one k: column i (row i of C) is bv · av[i].
fn outer(bv: vec4<f32>, av: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(bv * av.x, bv * av.y, bv * av.z, bv * av.w);
}

@compute @workgroup_size(64, 1, 1)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let block = gid.x + gid.y * groups.x * WG;
  if (block >= p.blocks) { return; }
  let row0 = (block / p.blocks_n) * 8u;
  let col0 = (block % p.blocks_n) * 8u;
  let a_base = gid.z * p.stride_a;
  let b_base = gid.z * p.stride_b;
  let c_base = gid.z * p.stride_c;
  let step = vec4<u32>(0u, 1u, 2u, 3u);
  let ra = min(vec4<u32>(row0) + step, vec4<u32>(p.M - 1u));
  let rb = min(vec4<u32>(row0 + 4u) + step, vec4<u32>(p.M - 1u));
  let ca = min(vec4<u32>(col0) + step, vec4<u32>(p.N - 1u));
  let cb = min(vec4<u32>(col0 + 4u) + step, vec4<u32>(p.N - 1u));

  // accRC: the block's rows 4R..4R+3 and columns 4C..4C+3; its column i is one row of C.
  var acc00 = mat4x4<f32>();
  var acc01 = mat4x4<f32>();
  var acc10 = mat4x4<f32>();
  var acc11 = mat4x4<f32>();
  for (var k = 0u; k < p.K; k++) {
    let a0 = a4(a_base, ra, k);
    let a1 = a4(a_base, rb, k);
    let b0 = b4(b_base, k, ca);
    let b1 = b4(b_base, k, cb);
    acc00 += outer(b0, a0);
    acc01 += outer(b1, a0);
    acc10 += outer(b0, a1);
    acc11 += outer(b1, a1);
  }
  acc00 *= p.alpha;
  acc01 *= p.alpha;
  acc10 *= p.alpha;
  acc11 *= p.alpha;
  if (LOW_RANK) {
    for (var k = 0u; k < p.K2; k++) {
      let a0 = p.alpha2 * vec4<f32>(a2[ra.x * p.K2 + k], a2[ra.y * p.K2 + k], a2[ra.z * p.K2 + k], a2[ra.w * p.K2 + k]);
      let a1 = p.alpha2 * vec4<f32>(a2[rb.x * p.K2 + k], a2[rb.y * p.K2 + k], a2[rb.z * p.K2 + k], a2[rb.w * p.K2 + k]);
      let b0 = vec4<f32>(b2_at(k, ca.x), b2_at(k, ca.y), b2_at(k, ca.z), b2_at(k, ca.w));
      let b1 = vec4<f32>(b2_at(k, cb.x), b2_at(k, cb.y), b2_at(k, cb.z), b2_at(k, cb.w));
      acc00 += outer(b0, a0);
      acc01 += outer(b1, a0);
      acc10 += outer(b0, a1);
      acc11 += outer(b1, a1);
    }
  }
  store(c_base, row0, col0, acc00);
  store(c_base, row0, col0 + 4u, acc01);
  store(c_base, row0 + 4u, col0, acc10);
  store(c_base, row0 + 4u, col0 + 4u, acc11);
}

// Writes a 4×4 block of C (acc[i]: row row0 + i, columns col0 …), the elements inside C only.
fn store(c_base: u32, row0: u32, col0: u32, acc: mat4x4<f32>) {
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + i;
    if (row >= p.M) { return; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + j;
      if (col >= p.N) { break; }
      var out = acc[i][j];
      if (HAS_BIAS) { out += bias[col]; }
      let idx = c_base + row * p.N + col;
      if (ACCUMULATE) { c[idx] += out; } else { c[idx] = out; }
    }
  }
}
