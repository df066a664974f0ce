// The serial variant of shaders/attention.wgsl (same shapes, formulas and outputs; see there) for
// CPU-backed adapters (SwiftShader, lavapipe), chosen by the wrapper from Gpu.kernelVariant: no
// barriers and no workgroup memory, whose cost on such drivers (a workgroup with a barrier runs as
// coroutines switched at every barrier) dwarfs the arithmetic. attention_backward_delta in
// shaders/attention.wgsl is already barrier-free and serves both variants.
//
// q, out, dout, dq: [B, T, Hq, D]     k, v, dk, dv: [B, T, Hkv, D]     lse, delta: [B, Hq, T]
//
// Each invocation owns eight rows (query rows for forward and dq, key rows for dk and dv) and takes
// the rows of the other side eight at a time, as a register tile of 8 × 8 scores held in four
// mat4x4 (column r: own row r of a group of four; entries: four rows of the other side). On a CPU
// adapter every access to memory at a computed index is a per-lane gather, and they, not the
// arithmetic, set the speed: the tile does 64 multiply-adds per head dimension for 16 gathers,
// where one row against one row does 1 for 2 (measured: bench/README.md). Results accumulate in
// place in their output, which costs the same as a private array and needs no bound on D. Rows past
// the causal or sequence end re-read the last valid row (always in bounds) and are masked out. An
// own row past the end repeats the last valid one: it adds zero to the gradients, and the forward
// pass reads all eight rows of out before writing any, so a repeated row stores the same value twice.
// The 1-D grid of invocations folds into y past 65,535 workgroups (grid1d in src/gpu/dispatch.ts).

const SERIAL_WG = 64u;
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

// attention_forward_serial
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> lse_out: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;

// attention_backward_dq_serial
@group(0) @binding(1) var<storage, read_write> dq: array<f32>;
@group(0) @binding(2) var<storage, read> dout_q: array<f32>;
@group(0) @binding(3) var<storage, read> q_q: array<f32>;
@group(0) @binding(4) var<storage, read> k_q: array<f32>;
@group(0) @binding(5) var<storage, read> v_q: array<f32>;
@group(0) @binding(6) var<storage, read> lse_q: array<f32>;
@group(0) @binding(7) var<storage, read> delta_q: array<f32>;

// attention_backward_dkv_serial
@group(0) @binding(1) var<storage, read_write> dk: array<f32>;
@group(0) @binding(2) var<storage, read_write> dv: array<f32>;
@group(0) @binding(3) var<storage, read> dout_kv: array<f32>;
@group(0) @binding(4) var<storage, read> q_kv: array<f32>;
@group(0) @binding(5) var<storage, read> k_kv: array<f32>;
@group(0) @binding(6) var<storage, read> v_kv: array<f32>;
@group(0) @binding(7) var<storage, read> lse_kv: array<f32>;
@group(0) @binding(8) var<storage, read> delta_kv: array<f32>;

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
  return mat4x4<f32>(select(z, exp(s[0] * p.scale - lse), seq & (i >= vec4<u32>(j.x))),
                     select(z, exp(s[1] * p.scale - lse), seq & (i >= vec4<u32>(j.y))),
                     select(z, exp(s[2] * p.scale - lse), seq & (i >= vec4<u32>(j.z))),
                     select(z, exp(s[3] * p.scale - lse), seq & (i >= vec4<u32>(j.w))));
}

/** ds = p (dp − delta) per column, delta holding one value per entry (query). */
fn ds_cols(pr: mat4x4<f32>, dp: mat4x4<f32>, delta: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(pr[0] * (dp[0] - delta), pr[1] * (dp[1] - delta), pr[2] * (dp[2] - delta), pr[3] * (dp[3] - delta));
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
        let xA = out4(qA, d);
        let xB = out4(qB, d);
        set_out4(qA, d, xA * cA + oA);
        set_out4(qB, d, xB * cB + oB);
      }
    }
    mA = nA;
    mB = nB;
  }
  for (var d = 0u; d < p.D; d++) {
    let xA = out4(qA, d);
    let xB = out4(qB, d);
    set_out4(qA, d, xA / lA);
    set_out4(qB, d, xB / lB);
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
  let scaleA = select(vec4<f32>(0.0), vec4<f32>(p.scale), i0 + LANES <= vec4<u32>(last));
  let scaleB = select(vec4<f32>(0.0), vec4<f32>(p.scale), i0 + 4u + LANES <= vec4<u32>(last));

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
      add_dq4(qA, d, scaleA * (ka * dAa + kb * dAb));
      add_dq4(qB, d, scaleB * (ka * dBa + kb * dBb));
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
  let oneA = select(vec4<f32>(0.0), vec4<f32>(1.0), j0 + LANES <= vec4<u32>(last));
  let oneB = select(vec4<f32>(0.0), vec4<f32>(1.0), j0 + 4u + LANES <= vec4<u32>(last));

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
        add_dv4(kA, d, oneA * (oa * pAa + ob * pAb));
        add_dv4(kB, d, oneB * (oa * pBa + ob * pBb));
        add_dk4(kA, d, oneA * p.scale * (xa * dAa + xb * dAb));
        add_dk4(kB, d, oneB * p.scale * (xa * dBa + xb * dBb));
      }
    }
  }
}
