// Batched matrix product, register-blocked with vec4 loads: the `serial` variant for CPU-backed
// adapters (see bench/README.md, "Kernel choices"). Same contract as shaders/matmul.wgsl:
//
//   C[b] = alpha · op(A[b]) · op(B[b]) + bias + (ACCUMULATE ? C[b] : 0)
//   op(A) is [M, K], stored [M, K], or [K, M] when TRANS_A
//   op(B) is [K, N], stored [K, N], or [N, K] when TRANS_B
//
// Every operand is read as vec4 along its stored rows, so the wrapper uses this kernel only when N and
// K are multiples of 4, M too when TRANS_A, and every batch stride (in floats) is a multiple of 4.
// On SwiftShader each load at a computed index is a per-lane gather that costs far more than the
// multiply-adds, so each invocation holds an 8×8 block of C as four mat4x4 and, per four values of
// k, does 16 vec4 loads for 256 multiply-adds (a 4×4 block: 8 for 64, measured 1.5× slower;
// shaders/matmul.wgsl, the scalar 8×8 kernel: 64 float loads for 256).
//
// Invocations walk a 1-D list of 8×8 output blocks, row-major over blocks, folded into y past
// 65,535 workgroups (src/gpu/dispatch.ts grid1d). Edge blocks clamp their loads to the last row and
// the last vec4 column (always in bounds, no branch in the K loop) and store only what lies in C.
//
// B is read through w_load4 from a decoding file prepended by src/engine/ops/weights.ts
// (shaders/weights/*.wgsl; f32 is shaders/weights/f32x4.wgsl, one vec4 load), so B may be a stored
// weight of any format (batch 1 for packed formats). Each w_load4 reads four elements of one stored
// row of W: row c of W [N, K] when TRANS_B, row k of W [K, N] otherwise.

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
  K2: u32, // A2 [M, K2], B2 [K2, N] (or [N, K2] when TRANS_B); K2 a multiple of 4
  alpha2: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> a: array<vec4<f32>>;
// B (`w`, and `w_scales` for int8 and q4) is declared by the prepended decoding file.
const W_BINDING = 3u;
const W_SCALES_BINDING = 7u;
@group(0) @binding(4) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> a2: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> b2: array<vec4<f32>>;

const WG = 64u;

@compute @workgroup_size(64, 1, 1)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let block = gid.x + gid.y * groups.x * WG;
  if (block >= p.blocks) { return; }
  let row0 = (block / p.blocks_n) * 8u;
  let col4 = (block % p.blocks_n) * 2u; // first column of the block, in vec4 units
  let K4 = p.K / 4u;
  let M4 = p.M / 4u;
  let N4 = p.N / 4u;
  let c4 = min(vec2<u32>(col4, col4 + 1u), vec2<u32>(N4 - 1u));
  let a_base = gid.z * p.stride_a / 4u;
  let b_base = gid.z * p.stride_b / 4u;
  let c_base = gid.z * p.stride_c / 4u;
  let ra = min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.M - 1u));
  let rb = min(vec4<u32>(row0) + vec4<u32>(4u, 5u, 6u, 7u), vec4<u32>(p.M - 1u));
  let r4 = vec2<u32>(row0 / 4u, min(row0 / 4u + 1u, max(M4, 1u) - 1u));

  // accRC: the block's rows 4R..4R+3 and columns 4C..4C+3; its column i is one row of C.
  var acc00 = mat4x4<f32>();
  var acc01 = mat4x4<f32>();
  var acc10 = mat4x4<f32>();
  var acc11 = mat4x4<f32>();
  // Per four values of k: column i of at0 (at1) is row i (4 + i) of op(A) over those k; column j of
  // bm0 (bm1) is row k0 + j of op(B) over the block's first (last) four columns; so acc += bm · at.
  for (var kc = 0u; kc < K4; kc++) {
    let k0 = kc * 4u;
    var at0: mat4x4<f32>;
    var at1: mat4x4<f32>;
    if (TRANS_A) {
      at0 = transpose(mat4x4<f32>(a[a_base + k0 * M4 + r4.x], a[a_base + (k0 + 1u) * M4 + r4.x], a[a_base + (k0 + 2u) * M4 + r4.x], a[a_base + (k0 + 3u) * M4 + r4.x]));
      at1 = transpose(mat4x4<f32>(a[a_base + k0 * M4 + r4.y], a[a_base + (k0 + 1u) * M4 + r4.y], a[a_base + (k0 + 2u) * M4 + r4.y], a[a_base + (k0 + 3u) * M4 + r4.y]));
    } else {
      at0 = mat4x4<f32>(a[a_base + ra.x * K4 + kc], a[a_base + ra.y * K4 + kc], a[a_base + ra.z * K4 + kc], a[a_base + ra.w * K4 + kc]);
      at1 = mat4x4<f32>(a[a_base + rb.x * K4 + kc], a[a_base + rb.y * K4 + kc], a[a_base + rb.z * K4 + kc], a[a_base + rb.w * K4 + kc]);
    }
    var bm0: mat4x4<f32>;
    var bm1: mat4x4<f32>;
    if (TRANS_B) {
      let c0 = c4.x * 4u;
      let c1 = c4.y * 4u;
      bm0 = transpose(mat4x4<f32>(w_load4(b_base + c0 * K4 + kc, c0), w_load4(b_base + (c0 + 1u) * K4 + kc, c0 + 1u), w_load4(b_base + (c0 + 2u) * K4 + kc, c0 + 2u), w_load4(b_base + (c0 + 3u) * K4 + kc, c0 + 3u)));
      bm1 = transpose(mat4x4<f32>(w_load4(b_base + c1 * K4 + kc, c1), w_load4(b_base + (c1 + 1u) * K4 + kc, c1 + 1u), w_load4(b_base + (c1 + 2u) * K4 + kc, c1 + 2u), w_load4(b_base + (c1 + 3u) * K4 + kc, c1 + 3u)));
    } else {
      bm0 = mat4x4<f32>(w_load4(b_base + k0 * N4 + c4.x, k0), w_load4(b_base + (k0 + 1u) * N4 + c4.x, k0 + 1u), w_load4(b_base + (k0 + 2u) * N4 + c4.x, k0 + 2u), w_load4(b_base + (k0 + 3u) * N4 + c4.x, k0 + 3u));
      bm1 = mat4x4<f32>(w_load4(b_base + k0 * N4 + c4.y, k0), w_load4(b_base + (k0 + 1u) * N4 + c4.y, k0 + 1u), w_load4(b_base + (k0 + 2u) * N4 + c4.y, k0 + 2u), w_load4(b_base + (k0 + 3u) * N4 + c4.y, k0 + 3u));
    }
    acc00 += bm0 * at0;
    acc01 += bm1 * at0;
    acc10 += bm0 * at1;
    acc11 += bm1 * at1;
  }
  acc00 *= p.alpha;
  acc01 *= p.alpha;
  acc10 *= p.alpha;
  acc11 *= p.alpha;
  if (LOW_RANK) {
    let K24 = p.K2 / 4u;
    for (var kc = 0u; kc < K24; kc++) {
      let k0 = kc * 4u;
      let at0 = p.alpha2 * mat4x4<f32>(a2[ra.x * K24 + kc], a2[ra.y * K24 + kc], a2[ra.z * K24 + kc], a2[ra.w * K24 + kc]);
      let at1 = p.alpha2 * mat4x4<f32>(a2[rb.x * K24 + kc], a2[rb.y * K24 + kc], a2[rb.z * K24 + kc], a2[rb.w * K24 + kc]);
      var bm0: mat4x4<f32>;
      var bm1: mat4x4<f32>;
      if (TRANS_B) {
        let c0 = c4.x * 4u;
        let c1 = c4.y * 4u;
        bm0 = transpose(mat4x4<f32>(b2[c0 * K24 + kc], b2[(c0 + 1u) * K24 + kc], b2[(c0 + 2u) * K24 + kc], b2[(c0 + 3u) * K24 + kc]));
        bm1 = transpose(mat4x4<f32>(b2[c1 * K24 + kc], b2[(c1 + 1u) * K24 + kc], b2[(c1 + 2u) * K24 + kc], b2[(c1 + 3u) * K24 + kc]));
      } else {
        bm0 = mat4x4<f32>(b2[k0 * N4 + c4.x], b2[(k0 + 1u) * N4 + c4.x], b2[(k0 + 2u) * N4 + c4.x], b2[(k0 + 3u) * N4 + c4.x]);
        bm1 = mat4x4<f32>(b2[k0 * N4 + c4.y], b2[(k0 + 1u) * N4 + c4.y], b2[(k0 + 2u) * N4 + c4.y], b2[(k0 + 3u) * N4 + c4.y]);
      }
      acc00 += bm0 * at0;
      acc01 += bm1 * at0;
      acc10 += bm0 * at1;
      acc11 += bm1 * at1;
    }
  }
  store(c_base, row0, col4, acc00);
  store(c_base, row0, col4 + 1u, acc01);
  store(c_base, row0 + 4u, col4, acc10);
  store(c_base, row0 + 4u, col4 + 1u, acc11);
}

// Writes a 4×4 block of C (acc[i]: row row0 + i, columns 4·col4 …), the rows below M only.
fn store(c_base: u32, row0: u32, col4: u32, acc: mat4x4<f32>) {
  if (col4 >= p.N / 4u) { return; }
  var bias_v = vec4<f32>(0.0);
  if (HAS_BIAS) { bias_v = bias[col4]; }
  let N4 = p.N / 4u;
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + i;
    if (row >= p.M) { break; }
    let idx = c_base + row * N4 + col4;
    let out = acc[i] + bias_v;
    if (ACCUMULATE) { c[idx] += out; } else { c[idx] = out; }
  }
}
