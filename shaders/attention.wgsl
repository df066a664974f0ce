// Causal self-attention with grouped-query heads that never materialises the T×T scores: each
// workgroup owns one query row (forward, dq) or one key row (dk, dv) and streams the other side in
// blocks of 64, keeping a running max and sum (online softmax). Memory beyond q, k, v, out is O(T):
// the log-sum-exp of each row (saved by forward) and delta = rowsum(dout ⊙ out) (backward).
//
// q, out, dout, dq: [B, T, Hq, D]     k, v, dk, dv: [B, T, Hkv, D]     lse, delta: [B, Hq, T]
// Query head h reads key/value head h / (Hq / Hkv). scale = 1/√D. D ≤ 256.
//
//   forward:   s_ij = scale · q_i·k_j (j ≤ i),  out_i = Σ_j softmax(s_i)_j v_j,  lse_i = log Σ_j e^{s_ij}
//   backward:  p_ij = e^{s_ij − lse_i},  ds_ij = p_ij (dout_i·v_j − delta_i)
//              dq_i += scale Σ_j ds_ij k_j,  dk_j += scale Σ_i ds_ij q_i,  dv_j += Σ_i p_ij dout_i
//
// The `_serial` entry points are the variant for CPU-backed adapters (SwiftShader, lavapipe), chosen
// by the wrapper from Gpu.kernelVariant: one invocation per query row (forward, dq) or key row
// (dk, dv) holding its rows and accumulators in private arrays, with no barriers and no workgroup
// memory. Such drivers run a workgroup that contains a barrier as coroutines switched at every
// barrier, which costs far more than the few multiply-adds between the barriers here.

const WG = 64u;
const DIMS = 4u; // head dimensions per invocation: d = tid + r·WG, r < DIMS
const NEG_INF = -3.0e38;

struct Params {
  B: u32,
  T: u32,
  Hq: u32,
  Hkv: u32,
  D: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

// attention_forward
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> lse_out: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;

// attention_backward_delta
@group(0) @binding(1) var<storage, read_write> delta_out: array<f32>;
@group(0) @binding(2) var<storage, read> d_out: array<f32>;
@group(0) @binding(3) var<storage, read> fwd_out: array<f32>;

// attention_backward_dq
@group(0) @binding(1) var<storage, read_write> dq: array<f32>;
@group(0) @binding(2) var<storage, read> dout_q: array<f32>;
@group(0) @binding(3) var<storage, read> q_q: array<f32>;
@group(0) @binding(4) var<storage, read> k_q: array<f32>;
@group(0) @binding(5) var<storage, read> v_q: array<f32>;
@group(0) @binding(6) var<storage, read> lse_q: array<f32>;
@group(0) @binding(7) var<storage, read> delta_q: array<f32>;

// attention_backward_dkv
@group(0) @binding(1) var<storage, read_write> dk: array<f32>;
@group(0) @binding(2) var<storage, read_write> dv: array<f32>;
@group(0) @binding(3) var<storage, read> dout_kv: array<f32>;
@group(0) @binding(4) var<storage, read> q_kv: array<f32>;
@group(0) @binding(5) var<storage, read> k_kv: array<f32>;
@group(0) @binding(6) var<storage, read> v_kv: array<f32>;
@group(0) @binding(7) var<storage, read> lse_kv: array<f32>;
@group(0) @binding(8) var<storage, read> delta_kv: array<f32>;

var<workgroup> row_a: array<f32, 256>;
var<workgroup> row_b: array<f32, 256>;
var<workgroup> block_a: array<f32, WG>;
var<workgroup> block_b: array<f32, WG>;

fn q_at(b: u32, t: u32, h: u32) -> u32 {
  return ((b * p.T + t) * p.Hq + h) * p.D;
}

fn kv_at(b: u32, t: u32, h: u32) -> u32 {
  return ((b * p.T + t) * p.Hkv + h) * p.D;
}

fn stat_at(b: u32, h: u32, t: u32) -> u32 {
  return (b * p.Hq + h) * p.T + t;
}

// One workgroup per query row: workgroup_id = (i, b·Hq + h).
@compute @workgroup_size(64)
fn attention_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let i = wg.x;
  let b = wg.y / p.Hq;
  let h = wg.y % p.Hq;
  let kvh = h / (p.Hq / p.Hkv);
  let qi = q_at(b, i, h);
  for (var d = tid; d < p.D; d += WG) { row_a[d] = q[qi + d]; }
  workgroupBarrier();

  var m = NEG_INF;
  var l = 0.0;
  var acc: array<f32, DIMS>;
  for (var j0 = 0u; j0 <= i; j0 += WG) {
    let j = j0 + tid;
    var s = NEG_INF;
    if (j <= i) {
      let kj = kv_at(b, j, kvh);
      var dot = 0.0;
      for (var d = 0u; d < p.D; d++) { dot += row_a[d] * k[kj + d]; }
      s = dot * p.scale;
    }
    block_a[tid] = s;
    workgroupBarrier();
    var block_max = NEG_INF;
    for (var t = 0u; t < WG; t++) { block_max = max(block_max, block_a[t]); }
    let m_new = max(m, block_max);
    block_b[tid] = select(0.0, exp(s - m_new), j <= i);
    workgroupBarrier();

    let correction = exp(m - m_new);
    l *= correction;
    for (var r = 0u; r < DIMS; r++) { acc[r] *= correction; }
    let count = min(WG, i + 1u - j0);
    for (var t = 0u; t < count; t++) {
      let pt = block_b[t];
      l += pt;
      let vj = kv_at(b, j0 + t, kvh);
      for (var r = 0u; r < DIMS; r++) {
        let d = tid + r * WG;
        if (d < p.D) { acc[r] += pt * v[vj + d]; }
      }
    }
    m = m_new;
  }
  for (var r = 0u; r < DIMS; r++) {
    let d = tid + r * WG;
    if (d < p.D) { out[qi + d] = acc[r] / l; }
  }
  if (tid == 0u) { lse_out[stat_at(b, h, i)] = m + log(l); }
}

// delta = rowsum(dout ⊙ out), one invocation per (b, h, i); 1-D grid folded into y.
@compute @workgroup_size(64)
fn attention_backward_delta(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let flat = gid.x + gid.y * groups.x * WG; // (b·Hq + h)·T + i
  if (flat >= p.B * p.Hq * p.T) { return; }
  let i = flat % p.T;
  let bh = flat / p.T;
  let row = q_at(bh / p.Hq, i, bh % p.Hq);
  var sum = 0.0;
  for (var d = 0u; d < p.D; d++) { sum += d_out[row + d] * fwd_out[row + d]; }
  delta_out[flat] = sum;
}

// One workgroup per query row: workgroup_id = (i, b·Hq + h).
@compute @workgroup_size(64)
fn attention_backward_dq(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let i = wg.x;
  let b = wg.y / p.Hq;
  let h = wg.y % p.Hq;
  let kvh = h / (p.Hq / p.Hkv);
  let qi = q_at(b, i, h);
  for (var d = tid; d < p.D; d += WG) {
    row_a[d] = q_q[qi + d];
    row_b[d] = dout_q[qi + d];
  }
  let lse_i = lse_q[stat_at(b, h, i)];
  let delta_i = delta_q[stat_at(b, h, i)];
  workgroupBarrier();

  var acc: array<f32, DIMS>;
  for (var j0 = 0u; j0 <= i; j0 += WG) {
    let j = j0 + tid;
    var ds = 0.0;
    if (j <= i) {
      let kj = kv_at(b, j, kvh);
      var s = 0.0;
      var dp = 0.0;
      for (var d = 0u; d < p.D; d++) {
        s += row_a[d] * k_q[kj + d];
        dp += row_b[d] * v_q[kj + d];
      }
      ds = exp(s * p.scale - lse_i) * (dp - delta_i);
    }
    block_a[tid] = ds;
    workgroupBarrier();
    let count = min(WG, i + 1u - j0);
    for (var t = 0u; t < count; t++) {
      let dst = block_a[t];
      let kj = kv_at(b, j0 + t, kvh);
      for (var r = 0u; r < DIMS; r++) {
        let d = tid + r * WG;
        if (d < p.D) { acc[r] += dst * k_q[kj + d]; }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < DIMS; r++) {
    let d = tid + r * WG;
    if (d < p.D) { dq[qi + d] += p.scale * acc[r]; }
  }
}

// One workgroup per key row: workgroup_id = (j, b·Hkv + kv head); it walks every query head of its
// group and every query i ≥ j, so no two workgroups write the same dk, dv (no atomics).
@compute @workgroup_size(64)
fn attention_backward_dkv(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let j = wg.x;
  let b = wg.y / p.Hkv;
  let kvh = wg.y % p.Hkv;
  let group = p.Hq / p.Hkv;
  let kj = kv_at(b, j, kvh);
  for (var d = tid; d < p.D; d += WG) {
    row_a[d] = k_kv[kj + d];
    row_b[d] = v_kv[kj + d];
  }
  workgroupBarrier();

  var acc_k: array<f32, DIMS>;
  var acc_v: array<f32, DIMS>;
  for (var h = kvh * group; h < (kvh + 1u) * group; h++) {
    for (var i0 = j; i0 < p.T; i0 += WG) {
      let i = i0 + tid;
      var prob = 0.0;
      var ds = 0.0;
      if (i < p.T) {
        let qi = q_at(b, i, h);
        var s = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < p.D; d++) {
          s += q_kv[qi + d] * row_a[d];
          dp += dout_kv[qi + d] * row_b[d];
        }
        prob = exp(s * p.scale - lse_kv[stat_at(b, h, i)]);
        ds = prob * (dp - delta_kv[stat_at(b, h, i)]);
      }
      block_a[tid] = prob;
      block_b[tid] = ds;
      workgroupBarrier();
      let count = min(WG, p.T - i0);
      for (var t = 0u; t < count; t++) {
        let qi = q_at(b, i0 + t, h);
        let pt = block_a[t];
        let dst = block_b[t];
        for (var r = 0u; r < DIMS; r++) {
          let d = tid + r * WG;
          if (d < p.D) {
            acc_v[r] += pt * dout_kv[qi + d];
            acc_k[r] += dst * q_kv[qi + d];
          }
        }
      }
      workgroupBarrier();
    }
  }
  for (var r = 0u; r < DIMS; r++) {
    let d = tid + r * WG;
    if (d < p.D) {
      dk[kj + d] += p.scale * acc_k[r];
      dv[kj + d] += acc_v[r];
    }
  }
}

// ---- Serial variants ----------------------------------------------------------------------------
//
// Each invocation owns eight rows (query rows for forward and dq, key rows for dk and dv) and takes
// the rows of the other side eight at a time, as a register tile of 8 × 8 scores held in four
// mat4x4 (column r: own row r of a group of four; entries: four rows of the other side). On a CPU
// adapter every access to memory at a computed index is a per-lane gather, and they, not the
// arithmetic, set the speed: the tile does 64 multiply-adds per head dimension for 16 gathers,
// where one row against one row does 1 for 2. Results accumulate in place in their output, which
// costs the same as a private array and needs no bound on D. Rows past the causal or sequence end
// re-read the last valid row (always in bounds) and are masked out; a clamped own row repeats the
// last valid one, so its writes repeat the same value.

const SERIAL_WG = 64u;

/** The flat invocation index of a 1-D serial dispatch folded into y (grid1d). */
fn serial_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * SERIAL_WG;
}

fn q_rows(b: u32, t: vec4<u32>, h: u32) -> vec4<u32> { return ((b * p.T + t) * p.Hq + h) * p.D; }
fn kv_rows(b: u32, t: vec4<u32>, h: u32) -> vec4<u32> { return ((b * p.T + t) * p.Hkv + h) * p.D; }
fn stat_rows(b: u32, h: u32, t: vec4<u32>) -> vec4<u32> { return (b * p.Hq + h) * p.T + t; }
const LANES = vec4<u32>(0u, 1u, 2u, 3u);

/** Column c = a · b[c]: the 4 × 4 products of one head dimension. */
fn outer(a: vec4<f32>, b: vec4<f32>) -> mat4x4<f32> { return mat4x4<f32>(a * b.x, a * b.y, a * b.z, a * b.w); }
fn hmax(a: vec4<f32>) -> f32 { return max(max(a.x, a.y), max(a.z, a.w)); }
fn col_max(a: mat4x4<f32>, b: mat4x4<f32>) -> vec4<f32> {
  return vec4<f32>(hmax(max(a[0], b[0])), hmax(max(a[1], b[1])), hmax(max(a[2], b[2])), hmax(max(a[3], b[3])));
}
fn col_sum(a: mat4x4<f32>) -> vec4<f32> { return vec4<f32>(1.0) * a; }

/** Scaled scores of keys j (entries) for query rows i (columns), −∞ where j > i. */
fn causal(s: mat4x4<f32>, j: vec4<u32>, i: vec4<u32>) -> mat4x4<f32> {
  let ninf = vec4<f32>(NEG_INF);
  return mat4x4<f32>(select(ninf, s[0] * p.scale, j <= vec4<u32>(i.x)), select(ninf, s[1] * p.scale, j <= vec4<u32>(i.y)),
                     select(ninf, s[2] * p.scale, j <= vec4<u32>(i.z)), select(ninf, s[3] * p.scale, j <= vec4<u32>(i.w)));
}

/** exp(s − m) per column, m holding one max per column. */
fn exp_cols(s: mat4x4<f32>, m: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(exp(s[0] - m.x), exp(s[1] - m.y), exp(s[2] - m.z), exp(s[3] - m.w));
}

/** ds = p (dp − delta) of keys j (entries) for query rows i (columns), 0 where j > i. */
fn dscore(s: mat4x4<f32>, dp: mat4x4<f32>, j: vec4<u32>, i: vec4<u32>, lse: vec4<f32>, delta: vec4<f32>) -> mat4x4<f32> {
  let z = vec4<f32>(0.0);
  return mat4x4<f32>(select(z, exp(s[0] * p.scale - lse.x) * (dp[0] - delta.x), j <= vec4<u32>(i.x)),
                     select(z, exp(s[1] * p.scale - lse.y) * (dp[1] - delta.y), j <= vec4<u32>(i.y)),
                     select(z, exp(s[2] * p.scale - lse.z) * (dp[2] - delta.z), j <= vec4<u32>(i.z)),
                     select(z, exp(s[3] * p.scale - lse.w) * (dp[3] - delta.w), j <= vec4<u32>(i.w)));
}

/** p of queries i (entries, with their lse) for key rows j (columns), 0 where i < j or i ≥ T. */
fn prob(s: mat4x4<f32>, i: vec4<u32>, j: vec4<u32>, lse: vec4<f32>) -> mat4x4<f32> {
  let z = vec4<f32>(0.0);
  let seq = i < vec4<u32>(p.T);
  return mat4x4<f32>(select(z, exp(s[0] * p.scale - lse), seq & (i >= vec4<u32>(j.x))), select(z, exp(s[1] * p.scale - lse), seq & (i >= vec4<u32>(j.y))),
                     select(z, exp(s[2] * p.scale - lse), seq & (i >= vec4<u32>(j.z))), select(z, exp(s[3] * p.scale - lse), seq & (i >= vec4<u32>(j.w))));
}

// Element d of four rows of one tensor (one helper per binding: WGSL passes no storage pointers).
fn q4(r: vec4<u32>, d: u32) -> vec4<f32> { return vec4<f32>(q[r.x + d], q[r.y + d], q[r.z + d], q[r.w + d]); }
fn k4(r: vec4<u32>, d: u32) -> vec4<f32> { return vec4<f32>(k[r.x + d], k[r.y + d], k[r.z + d], k[r.w + d]); }
fn v4(r: vec4<u32>, d: u32) -> vec4<f32> { return vec4<f32>(v[r.x + d], v[r.y + d], v[r.z + d], v[r.w + d]); }
fn out4(r: vec4<u32>, d: u32) -> vec4<f32> { return vec4<f32>(out[r.x + d], out[r.y + d], out[r.z + d], out[r.w + d]); }
fn set_out4(r: vec4<u32>, d: u32, x: vec4<f32>) { out[r.x + d] = x.x; out[r.y + d] = x.y; out[r.z + d] = x.z; out[r.w + d] = x.w; }
fn q_q4(r: vec4<u32>, d: u32) -> vec4<f32> { return vec4<f32>(q_q[r.x + d], q_q[r.y + d], q_q[r.z + d], q_q[r.w + d]); }
fn k_q4(r: vec4<u32>, d: u32) -> vec4<f32> { return vec4<f32>(k_q[r.x + d], k_q[r.y + d], k_q[r.z + d], k_q[r.w + d]); }
fn v_q4(r: vec4<u32>, d: u32) -> vec4<f32> { return vec4<f32>(v_q[r.x + d], v_q[r.y + d], v_q[r.z + d], v_q[r.w + d]); }
fn dout_q4(r: vec4<u32>, d: u32) -> vec4<f32> { return vec4<f32>(dout_q[r.x + d], dout_q[r.y + d], dout_q[r.z + d], dout_q[r.w + d]); }
fn add_dq4(r: vec4<u32>, d: u32, x: vec4<f32>) { dq[r.x + d] += x.x; dq[r.y + d] += x.y; dq[r.z + d] += x.z; dq[r.w + d] += x.w; }
fn q_kv4(r: vec4<u32>, d: u32) -> vec4<f32> { return vec4<f32>(q_kv[r.x + d], q_kv[r.y + d], q_kv[r.z + d], q_kv[r.w + d]); }
fn k_kv4(r: vec4<u32>, d: u32) -> vec4<f32> { return vec4<f32>(k_kv[r.x + d], k_kv[r.y + d], k_kv[r.z + d], k_kv[r.w + d]); }
fn v_kv4(r: vec4<u32>, d: u32) -> vec4<f32> { return vec4<f32>(v_kv[r.x + d], v_kv[r.y + d], v_kv[r.z + d], v_kv[r.w + d]); }
fn dout_kv4(r: vec4<u32>, d: u32) -> vec4<f32> { return vec4<f32>(dout_kv[r.x + d], dout_kv[r.y + d], dout_kv[r.z + d], dout_kv[r.w + d]); }
fn add_dk4(r: vec4<u32>, d: u32, x: vec4<f32>) { dk[r.x + d] += x.x; dk[r.y + d] += x.y; dk[r.z + d] += x.z; dk[r.w + d] += x.w; }
fn add_dv4(r: vec4<u32>, d: u32, x: vec4<f32>) { dv[r.x + d] += x.x; dv[r.y + d] += x.y; dv[r.z + d] += x.z; dv[r.w + d] += x.w; }

// One invocation per eight query rows i0..i0+7 (groups A, B of four): flat index (b·Hq + h)·⌈T/8⌉ + i0/8.
@compute @workgroup_size(SERIAL_WG)
fn attention_forward_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let blocks = (p.T + 7u) / 8u;
  let flat = serial_index(gid, groups);
  if (flat >= p.B * p.Hq * blocks) { return; }
  let i0 = flat % blocks * 8u;
  let b = flat / blocks / p.Hq;
  let h = flat / blocks % p.Hq;
  let kvh = h / (p.Hq / p.Hkv);
  let last = min(i0 + 7u, p.T - 1u);
  let iA = min(i0 + LANES, vec4<u32>(last));
  let iB = min(i0 + 4u + LANES, vec4<u32>(last));
  let qA = q_rows(b, iA, h);
  let qB = q_rows(b, iB, h);

  var mA = vec4<f32>(NEG_INF);
  var mB = vec4<f32>(NEG_INF);
  var lA = vec4<f32>(0.0);
  var lB = vec4<f32>(0.0);
  for (var j0 = 0u; j0 <= last; j0 += 8u) {
    let ja = j0 + LANES;
    let jb = ja + 4u;
    let ra = kv_rows(b, min(ja, vec4<u32>(last)), kvh);
    let rb = kv_rows(b, min(jb, vec4<u32>(last)), kvh);
    var sAa = mat4x4<f32>(); var sAb = mat4x4<f32>(); var sBa = mat4x4<f32>(); var sBb = mat4x4<f32>();
    for (var d = 0u; d < p.D; d++) {
      let ka = k4(ra, d);
      let kb = k4(rb, d);
      let xA = q4(qA, d);
      let xB = q4(qB, d);
      sAa += outer(ka, xA); sAb += outer(kb, xA); sBa += outer(ka, xB); sBb += outer(kb, xB);
    }
    sAa = causal(sAa, ja, iA); sAb = causal(sAb, jb, iA); sBa = causal(sBa, ja, iB); sBb = causal(sBb, jb, iB);
    // Key 0 is in every row's first block, so the new max is finite and masked keys get exp(−∞) = 0.
    let nA = max(mA, col_max(sAa, sAb));
    let nB = max(mB, col_max(sBa, sBb));
    let cA = exp(mA - nA);
    let cB = exp(mB - nB);
    let pAa = exp_cols(sAa, nA); let pAb = exp_cols(sAb, nA); let pBa = exp_cols(sBa, nB); let pBb = exp_cols(sBb, nB);
    lA = lA * cA + col_sum(pAa) + col_sum(pAb);
    lB = lB * cB + col_sum(pBa) + col_sum(pBb);
    for (var d = 0u; d < p.D; d++) {
      let va = v4(ra, d);
      let vb = v4(rb, d);
      let oA = va * pAa + vb * pAb;
      let oB = va * pBa + vb * pBb;
      // The first block writes (out holds whatever was there before); later ones rescale and add.
      if (j0 == 0u) {
        set_out4(qA, d, oA);
        set_out4(qB, d, oB);
      } else {
        set_out4(qA, d, out4(qA, d) * cA + oA);
        set_out4(qB, d, out4(qB, d) * cB + oB);
      }
    }
    mA = nA;
    mB = nB;
  }
  for (var d = 0u; d < p.D; d++) {
    set_out4(qA, d, out4(qA, d) / lA);
    set_out4(qB, d, out4(qB, d) / lB);
  }
  let lse_a = mA + log(lA);
  let lse_b = mB + log(lB);
  let sA = stat_rows(b, h, iA);
  let sB = stat_rows(b, h, iB);
  lse_out[sA.x] = lse_a.x; lse_out[sA.y] = lse_a.y; lse_out[sA.z] = lse_a.z; lse_out[sA.w] = lse_a.w;
  lse_out[sB.x] = lse_b.x; lse_out[sB.y] = lse_b.y; lse_out[sB.z] = lse_b.z; lse_out[sB.w] = lse_b.w;
}

// One invocation per eight query rows i0..i0+7 (groups A, B of four): flat index (b·Hq + h)·⌈T/8⌉ + i0/8.
@compute @workgroup_size(SERIAL_WG)
fn attention_backward_dq_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let blocks = (p.T + 7u) / 8u;
  let flat = serial_index(gid, groups);
  if (flat >= p.B * p.Hq * blocks) { return; }
  let i0 = flat % blocks * 8u;
  let b = flat / blocks / p.Hq;
  let h = flat / blocks % p.Hq;
  let kvh = h / (p.Hq / p.Hkv);
  let last = min(i0 + 7u, p.T - 1u);
  let iA = min(i0 + LANES, vec4<u32>(last));
  let iB = min(i0 + 4u + LANES, vec4<u32>(last));
  let qA = q_rows(b, iA, h);
  let qB = q_rows(b, iB, h);
  let sA = stat_rows(b, h, iA);
  let sB = stat_rows(b, h, iB);
  let lseA = vec4<f32>(lse_q[sA.x], lse_q[sA.y], lse_q[sA.z], lse_q[sA.w]);
  let lseB = vec4<f32>(lse_q[sB.x], lse_q[sB.y], lse_q[sB.z], lse_q[sB.w]);
  let deltaA = vec4<f32>(delta_q[sA.x], delta_q[sA.y], delta_q[sA.z], delta_q[sA.w]);
  let deltaB = vec4<f32>(delta_q[sB.x], delta_q[sB.y], delta_q[sB.z], delta_q[sB.w]);

  for (var j0 = 0u; j0 <= last; j0 += 8u) {
    let ja = j0 + LANES;
    let jb = ja + 4u;
    let ra = kv_rows(b, min(ja, vec4<u32>(last)), kvh);
    let rb = kv_rows(b, min(jb, vec4<u32>(last)), kvh);
    var sAa = mat4x4<f32>(); var sAb = mat4x4<f32>(); var sBa = mat4x4<f32>(); var sBb = mat4x4<f32>();
    var gAa = mat4x4<f32>(); var gAb = mat4x4<f32>(); var gBa = mat4x4<f32>(); var gBb = mat4x4<f32>();
    for (var d = 0u; d < p.D; d++) {
      let ka = k_q4(ra, d);
      let kb = k_q4(rb, d);
      let xA = q_q4(qA, d);
      let xB = q_q4(qB, d);
      sAa += outer(ka, xA); sAb += outer(kb, xA); sBa += outer(ka, xB); sBb += outer(kb, xB);
      let va = v_q4(ra, d);
      let vb = v_q4(rb, d);
      let oA = dout_q4(qA, d);
      let oB = dout_q4(qB, d);
      gAa += outer(va, oA); gAb += outer(vb, oA); gBa += outer(va, oB); gBb += outer(vb, oB);
    }
    let dAa = dscore(sAa, gAa, ja, iA, lseA, deltaA); let dAb = dscore(sAb, gAb, jb, iA, lseA, deltaA);
    let dBa = dscore(sBa, gBa, ja, iB, lseB, deltaB); let dBb = dscore(sBb, gBb, jb, iB, lseB, deltaB);
    for (var d = 0u; d < p.D; d++) {
      let ka = k_q4(ra, d);
      let kb = k_q4(rb, d);
      add_dq4(qA, d, p.scale * (ka * dAa + kb * dAb));
      add_dq4(qB, d, p.scale * (ka * dBa + kb * dBb));
    }
  }
}

// One invocation per eight key rows j0..j0+7 (groups A, B of four): flat index
// (b·Hkv + kv head)·⌈T/8⌉ + j0/8. It walks every query head of its group and every query i ≥ j0,
// so no two invocations write the same dk, dv (no atomics).
@compute @workgroup_size(SERIAL_WG)
fn attention_backward_dkv_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let blocks = (p.T + 7u) / 8u;
  let flat = serial_index(gid, groups);
  if (flat >= p.B * p.Hkv * blocks) { return; }
  let j0 = flat % blocks * 8u;
  let b = flat / blocks / p.Hkv;
  let kvh = flat / blocks % p.Hkv;
  let group = p.Hq / p.Hkv;
  let last = min(j0 + 7u, p.T - 1u);
  let jA = min(j0 + LANES, vec4<u32>(last));
  let jB = min(j0 + 4u + LANES, vec4<u32>(last));
  let kA = kv_rows(b, jA, kvh);
  let kB = kv_rows(b, jB, kvh);
  let tail = vec4<u32>(p.T - 1u);

  for (var h = kvh * group; h < (kvh + 1u) * group; h++) {
    for (var i0 = j0; i0 < p.T; i0 += 8u) {
      let ia = i0 + LANES;
      let ib = ia + 4u;
      let ra = q_rows(b, min(ia, tail), h);
      let rb = q_rows(b, min(ib, tail), h);
      let sa = stat_rows(b, h, min(ia, tail));
      let sb = stat_rows(b, h, min(ib, tail));
      var sAa = mat4x4<f32>(); var sAb = mat4x4<f32>(); var sBa = mat4x4<f32>(); var sBb = mat4x4<f32>();
      var gAa = mat4x4<f32>(); var gAb = mat4x4<f32>(); var gBa = mat4x4<f32>(); var gBb = mat4x4<f32>();
      for (var d = 0u; d < p.D; d++) {
        let xa = q_kv4(ra, d);
        let xb = q_kv4(rb, d);
        let kvA = k_kv4(kA, d);
        let kvB = k_kv4(kB, d);
        sAa += outer(xa, kvA); sAb += outer(xb, kvA); sBa += outer(xa, kvB); sBb += outer(xb, kvB);
        let oa = dout_kv4(ra, d);
        let ob = dout_kv4(rb, d);
        let vA = v_kv4(kA, d);
        let vB = v_kv4(kB, d);
        gAa += outer(oa, vA); gAb += outer(ob, vA); gBa += outer(oa, vB); gBb += outer(ob, vB);
      }
      let lse_a = vec4<f32>(lse_kv[sa.x], lse_kv[sa.y], lse_kv[sa.z], lse_kv[sa.w]);
      let lse_b = vec4<f32>(lse_kv[sb.x], lse_kv[sb.y], lse_kv[sb.z], lse_kv[sb.w]);
      let delta_a = vec4<f32>(delta_kv[sa.x], delta_kv[sa.y], delta_kv[sa.z], delta_kv[sa.w]);
      let delta_b = vec4<f32>(delta_kv[sb.x], delta_kv[sb.y], delta_kv[sb.z], delta_kv[sb.w]);
      let pAa = prob(sAa, ia, jA, lse_a); let pAb = prob(sAb, ib, jA, lse_b);
      let pBa = prob(sBa, ia, jB, lse_a); let pBb = prob(sBb, ib, jB, lse_b);
      let dAa = ds_cols(pAa, gAa, delta_a); let dAb = ds_cols(pAb, gAb, delta_b);
      let dBa = ds_cols(pBa, gBa, delta_a); let dBb = ds_cols(pBb, gBb, delta_b);
      for (var d = 0u; d < p.D; d++) {
        let xa = q_kv4(ra, d);
        let xb = q_kv4(rb, d);
        let oa = dout_kv4(ra, d);
        let ob = dout_kv4(rb, d);
        add_dv4(kA, d, oa * pAa + ob * pAb);
        add_dv4(kB, d, oa * pBa + ob * pBb);
        add_dk4(kA, d, p.scale * (xa * dAa + xb * dAb));
        add_dk4(kB, d, p.scale * (xa * dBa + xb * dBb));
      }
    }
  }
}

/** ds = p (dp − delta) per column, delta holding one value per entry (query). */
fn ds_cols(pr: mat4x4<f32>, dp: mat4x4<f32>, delta: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(pr[0] * (dp[0] - delta), pr[1] * (dp[1] - delta), pr[2] * (dp[2] - delta), pr[3] * (dp[3] - delta));
}
