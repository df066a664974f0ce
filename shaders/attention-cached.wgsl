// Attention for decoding with a key/value cache: Tq new query rows of one sequence, at positions
// start .. start + Tq − 1, attend causally to the cache's rows 0 .. start + i (the new rows' keys and
// values already written into it). Grouped-query heads, a score scale, and an optional additive bias
// per (head, query, key) (T5's relative position bias for the decoder's self-attention).
//
// q, out: [Tq, Hq, D]     k_cache, v_cache: [≥ start + Tq, Hkv, D]     bias: [Hq, Tq, start + Tq]
// Query head h reads key/value head h / (Hq / Hkv).
//
//   s_j = scale · q_i·k_j + bias[h, i, j] (j ≤ start + i),  out_i = Σ_j softmax(s)_j v_j
//
// One invocation per (head, query) row, accumulating in place in its output with an online softmax,
// so D has no bound and no barrier is needed (the software adapters run either well). Decoding has
// one query row a step: the work per token is O(length), where a re-run is O(length²).
// The 1-D grid folds into y past 65,535 workgroups (grid1d in src/gpu/dispatch.ts).

const WG = 64u;
const NEG_INF = -3.0e38;

struct Params {
  Tq: u32,
  start: u32,
  Hq: u32,
  Hkv: u32,
  D: u32,
  scale: f32,
  has_bias: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> k_cache: array<f32>;
@group(0) @binding(4) var<storage, read> v_cache: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;

@compute @workgroup_size(64)
fn cached_attention_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.x + gid.y * groups.x * WG; // i·Hq + h
  if (r >= p.Tq * p.Hq) { return; }
  let i = r / p.Hq;
  let h = r % p.Hq;
  let kvh = h / (p.Hq / p.Hkv);
  let keys = p.start + i + 1u;
  let qi = r * p.D;
  for (var d = 0u; d < p.D; d++) { out[qi + d] = 0.0; }
  var m = NEG_INF;
  var l = 0.0;
  for (var j = 0u; j < keys; j++) {
    let kj = (j * p.Hkv + kvh) * p.D;
    var s = 0.0;
    for (var d = 0u; d < p.D; d++) { s += q[qi + d] * k_cache[kj + d]; }
    s *= p.scale;
    if (p.has_bias != 0u) { s += bias[(h * p.Tq + i) * (p.start + p.Tq) + j]; }
    // Rescale what is summed so far when the maximum rises.
    if (s > m) {
      let c = exp(m - s);
      l *= c;
      for (var d = 0u; d < p.D; d++) { out[qi + d] *= c; }
      m = s;
    }
    let e = exp(s - m);
    l += e;
    for (var d = 0u; d < p.D; d++) { out[qi + d] += e * v_cache[kj + d]; }
  }
  for (var d = 0u; d < p.D; d++) { out[qi + d] /= l; }
}
