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
// CPU-backed adapters (SwiftShader, lavapipe) run the `_serial` twins of forward, dq and dkv in
// shaders/attention-serial.wgsl instead, chosen by the wrapper from Gpu.kernelVariant: such drivers
// run a workgroup that contains a barrier as coroutines switched at every barrier, which costs far
// more than the few multiply-adds between the barriers here. attention_backward_delta serves both.

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
