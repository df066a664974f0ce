// Attention for encoder-decoder models (T5): queries and keys of different lengths (cross-attention
// reads the encoder's rows), causal or not, a key mask per example (padding is never attended), an
// optional additive bias per head, query and key shared by the batch (T5's relative position bias)
// with its gradient, and the score scale as a parameter (T5 uses 1: no 1/√D).
//
// q, out, dout, dq: [B, Tq, H, D]     k, v, dk, dv: [B, Tk, H, D]     mask: [B, Tk] (1 seen, 0 not)
// bias, dbias: [H, Tq, Tk]            lse, delta: [B, H, Tq]
//
// One invocation per row: a query row for the forward pass and dq (which also writes delta =
// dout·out, that the key rows read), a key row for dk and dv, a (head, query, key) entry for dbias
// (a sum over the batch). Rows accumulate in place in their output, so D has no bound. A query row
// that sees no key at all (every key masked) gets out = 0 and no gradient. The 1-D grid folds into
// y past 65,535 workgroups (grid1d in src/gpu/dispatch.ts).

const WG = 64u;
const NEG_INF = -3.0e38;

struct Params {
  B: u32,
  Tq: u32,
  Tk: u32,
  H: u32,
  D: u32,
  scale: f32,
  causal: u32,
  has_bias: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// seq2seq_attention_forward
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> lse_out: array<f32>;
@group(0) @binding(3) var<storage, read> q_f: array<f32>;
@group(0) @binding(4) var<storage, read> k_f: array<f32>;
@group(0) @binding(5) var<storage, read> v_f: array<f32>;
@group(0) @binding(6) var<storage, read> bias_f: array<f32>;
@group(0) @binding(7) var<storage, read> mask_f: array<f32>;

// seq2seq_attention_backward_dq
@group(0) @binding(1) var<storage, read_write> dq: array<f32>;
@group(0) @binding(2) var<storage, read_write> delta_out: array<f32>;
@group(0) @binding(3) var<storage, read> dout_q: array<f32>;
@group(0) @binding(4) var<storage, read> out_q: array<f32>;
@group(0) @binding(5) var<storage, read> q_q: array<f32>;
@group(0) @binding(6) var<storage, read> k_q: array<f32>;
@group(0) @binding(7) var<storage, read> v_q: array<f32>;
@group(0) @binding(8) var<storage, read> bias_q: array<f32>;
@group(0) @binding(9) var<storage, read> mask_q: array<f32>;
@group(0) @binding(10) var<storage, read> lse_q: array<f32>;

// seq2seq_attention_backward_dkv
@group(0) @binding(1) var<storage, read_write> dk: array<f32>;
@group(0) @binding(2) var<storage, read_write> dv: array<f32>;
@group(0) @binding(3) var<storage, read> dout_kv: array<f32>;
@group(0) @binding(4) var<storage, read> q_kv: array<f32>;
@group(0) @binding(5) var<storage, read> k_kv: array<f32>;
@group(0) @binding(6) var<storage, read> v_kv: array<f32>;
@group(0) @binding(7) var<storage, read> bias_kv: array<f32>;
@group(0) @binding(8) var<storage, read> mask_kv: array<f32>;
@group(0) @binding(9) var<storage, read> lse_kv: array<f32>;
@group(0) @binding(10) var<storage, read> delta_kv: array<f32>;

// seq2seq_attention_backward_bias
@group(0) @binding(1) var<storage, read_write> dbias: array<f32>;
@group(0) @binding(2) var<storage, read> dout_b: array<f32>;
@group(0) @binding(3) var<storage, read> q_b: array<f32>;
@group(0) @binding(4) var<storage, read> k_b: array<f32>;
@group(0) @binding(5) var<storage, read> v_b: array<f32>;
@group(0) @binding(6) var<storage, read> bias_b: array<f32>;
@group(0) @binding(7) var<storage, read> mask_b: array<f32>;
@group(0) @binding(8) var<storage, read> lse_b: array<f32>;
@group(0) @binding(9) var<storage, read> delta_b: array<f32>;

fn row_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 { return gid.x + gid.y * groups.x * WG; }
fn q_row(b: u32, i: u32, h: u32) -> u32 { return ((b * p.Tq + i) * p.H + h) * p.D; }
fn k_row(b: u32, j: u32, h: u32) -> u32 { return ((b * p.Tk + j) * p.H + h) * p.D; }
fn stat(b: u32, h: u32, i: u32) -> u32 { return (b * p.H + h) * p.Tq + i; }
fn bias_at(h: u32, i: u32, j: u32) -> u32 { return (h * p.Tq + i) * p.Tk + j; }
fn causal_ok(i: u32, j: u32) -> bool { return p.causal == 0u || j <= i; }

@compute @workgroup_size(64)
fn seq2seq_attention_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = row_index(gid, groups);
  if (r >= p.B * p.H * p.Tq) { return; }
  let i = r % p.Tq;
  let h = (r / p.Tq) % p.H;
  let b = r / (p.Tq * p.H);
  let qi = q_row(b, i, h);
  for (var d = 0u; d < p.D; d++) { out[qi + d] = 0.0; }
  var m = NEG_INF;
  var l = 0.0;
  for (var j = 0u; j < p.Tk; j++) {
    if (mask_f[b * p.Tk + j] < 0.5 || !causal_ok(i, j)) { continue; }
    let kj = k_row(b, j, h);
    var s = 0.0;
    for (var d = 0u; d < p.D; d++) { s += q_f[qi + d] * k_f[kj + d]; }
    s *= p.scale;
    if (p.has_bias != 0u) { s += bias_f[bias_at(h, i, j)]; }
    // Online softmax: rescale what is summed so far when the maximum rises.
    if (s > m) {
      let c = exp(m - s);
      l *= c;
      for (var d = 0u; d < p.D; d++) { out[qi + d] *= c; }
      m = s;
    }
    let e = exp(s - m);
    l += e;
    for (var d = 0u; d < p.D; d++) { out[qi + d] += e * v_f[kj + d]; }
  }
  if (l > 0.0) {
    for (var d = 0u; d < p.D; d++) { out[qi + d] /= l; }
    lse_out[stat(b, h, i)] = m + log(l);
  } else {
    lse_out[stat(b, h, i)] = 0.0;
  }
}

@compute @workgroup_size(64)
fn seq2seq_attention_backward_dq(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = row_index(gid, groups);
  if (r >= p.B * p.H * p.Tq) { return; }
  let i = r % p.Tq;
  let h = (r / p.Tq) % p.H;
  let b = r / (p.Tq * p.H);
  let qi = q_row(b, i, h);
  var delta = 0.0;
  for (var d = 0u; d < p.D; d++) { delta += dout_q[qi + d] * out_q[qi + d]; }
  delta_out[stat(b, h, i)] = delta;
  let lse = lse_q[stat(b, h, i)];
  for (var j = 0u; j < p.Tk; j++) {
    if (mask_q[b * p.Tk + j] < 0.5 || !causal_ok(i, j)) { continue; }
    let kj = k_row(b, j, h);
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < p.D; d++) {
      s += q_q[qi + d] * k_q[kj + d];
      dp += dout_q[qi + d] * v_q[kj + d];
    }
    s *= p.scale;
    if (p.has_bias != 0u) { s += bias_q[bias_at(h, i, j)]; }
    let ds = exp(s - lse) * (dp - delta) * p.scale;
    for (var d = 0u; d < p.D; d++) { dq[qi + d] += ds * k_q[kj + d]; }
  }
}

@compute @workgroup_size(64)
fn seq2seq_attention_backward_dkv(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = row_index(gid, groups);
  if (r >= p.B * p.H * p.Tk) { return; }
  let j = r % p.Tk;
  let h = (r / p.Tk) % p.H;
  let b = r / (p.Tk * p.H);
  if (mask_kv[b * p.Tk + j] < 0.5) { return; }
  let kj = k_row(b, j, h);
  for (var i = 0u; i < p.Tq; i++) {
    if (!causal_ok(i, j)) { continue; }
    let qi = q_row(b, i, h);
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < p.D; d++) {
      s += q_kv[qi + d] * k_kv[kj + d];
      dp += dout_kv[qi + d] * v_kv[kj + d];
    }
    s *= p.scale;
    if (p.has_bias != 0u) { s += bias_kv[bias_at(h, i, j)]; }
    let prob = exp(s - lse_kv[stat(b, h, i)]);
    let ds = prob * (dp - delta_kv[stat(b, h, i)]) * p.scale;
    for (var d = 0u; d < p.D; d++) {
      dk[kj + d] += ds * q_kv[qi + d];
      dv[kj + d] += prob * dout_kv[qi + d];
    }
  }
}

@compute @workgroup_size(64)
fn seq2seq_attention_backward_bias(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = row_index(gid, groups);
  if (r >= p.H * p.Tq * p.Tk) { return; }
  let j = r % p.Tk;
  let i = (r / p.Tk) % p.Tq;
  let h = r / (p.Tk * p.Tq);
  if (!causal_ok(i, j)) { return; }
  var sum = 0.0;
  for (var b = 0u; b < p.B; b++) {
    if (mask_b[b * p.Tk + j] < 0.5) { continue; }
    let qi = q_row(b, i, h);
    let kj = k_row(b, j, h);
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < p.D; d++) {
      s += q_b[qi + d] * k_b[kj + d];
      dp += dout_b[qi + d] * v_b[kj + d];
    }
    s = s * p.scale + bias_b[bias_at(h, i, j)];
    sum += exp(s - lse_b[stat(b, h, i)]) * (dp - delta_b[stat(b, h, i)]);
  }
  dbias[r] += sum;
}
