// RMSNorm (Llama, Qwen) and LayerNorm (GPT-2; PyTorch's, with the biased variance) over the last
// axis of an [N, C] tensor (N rows = B·T, C channels).
//
//   rmsnorm:   rstd = 1/sqrt(mean(x²) + eps)                 out = x · rstd · w
//   layernorm: mean = mean(x), rstd = 1/sqrt(var(x) + eps)   out = (x − mean) · rstd · w + b
//
// Row kernels run one 256-wide workgroup per row: strided loads (adjacent invocations read adjacent
// channels) and a shared-memory tree for the row sums. The row index folds into y past 65,535
// workgroups (grid1d in src/gpu/dispatch.ts). Backward entry points add into their gradients.
//
// The weight and bias gradients are sums over rows. norm_dparams computes them without float
// atomics, so results are deterministic: a 32×8 workgroup owns 32 channels, its 8 lanes stride
// over the rows, and the 8 partial sums are added in a fixed order.
//
// Each entry point has a `_serial` twin for CPU-backed adapters (SwiftShader, lavapipe), chosen by
// the wrapper from Gpu.kernelVariant: one invocation per row (per channel for the dparams), no
// barriers and no workgroup memory. Such drivers run a workgroup that contains a barrier as
// coroutines switched at every barrier, which costs far more than the arithmetic of a short row.

override RMS: bool = true;
override HAS_DWEIGHT: bool = true;
override HAS_DBIAS: bool = false;

struct Params {
  N: u32,
  C: u32,
  eps: f32,
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;

// Each entry point declares its own bindings, in the order its wrapper passes them; WGSL allows
// equal binding numbers in one module as long as no entry point uses two of them.

var<workgroup> scratch: array<vec2<f32>, 256>;

/** Sums `value` over the workgroup; every invocation gets the total. */
fn workgroup_sum2(local: u32, value: vec2<f32>) -> vec2<f32> {
  scratch[local] = value;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width >>= 1u) {
    if (local < width) { scratch[local] += scratch[local + width]; }
    workgroupBarrier();
  }
  let total = scratch[0];
  // A second call must not overwrite scratch[0] before every invocation has read it.
  workgroupBarrier();
  return total;
}

fn row_of(wg: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wg.x + wg.y * groups.x;
}

// ---- RMSNorm ---------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read_write> rms_out: array<f32>; // [N, C]
@group(0) @binding(2) var<storage, read_write> rms_rstd: array<f32>; // [N]
@group(0) @binding(3) var<storage, read> rms_inp: array<f32>; // [N, C]
@group(0) @binding(4) var<storage, read> rms_weight: array<f32>; // [C]

@compute @workgroup_size(256)
fn rmsnorm_forward(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>,
                   @builtin(num_workgroups) groups: vec3<u32>) {
  let row = row_of(wg, groups);
  if (row >= p.N) { return; }
  let base = row * p.C;
  var ss = 0.0;
  for (var i = local; i < p.C; i += WG) { let x = rms_inp[base + i]; ss += x * x; }
  let r = inverseSqrt(workgroup_sum2(local, vec2<f32>(ss, 0.0)).x / f32(p.C) + p.eps);
  if (local == 0u) { rms_rstd[row] = r; }
  for (var i = local; i < p.C; i += WG) { rms_out[base + i] = rms_inp[base + i] * r * rms_weight[i]; }
}

@group(0) @binding(1) var<storage, read_write> rms_dinp: array<f32>; // [N, C]
@group(0) @binding(2) var<storage, read> rms_dout: array<f32>; // [N, C]
@group(0) @binding(3) var<storage, read> rms_x: array<f32>; // [N, C]
@group(0) @binding(4) var<storage, read> rms_w: array<f32>; // [C]
@group(0) @binding(5) var<storage, read> rms_r: array<f32>; // [N]

// With g = dout · w:  dinp += rstd · g − x · rstd³ · mean(g · x)
@compute @workgroup_size(256)
fn rmsnorm_backward(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>,
                    @builtin(num_workgroups) groups: vec3<u32>) {
  let row = row_of(wg, groups);
  if (row >= p.N) { return; }
  let base = row * p.C;
  var gx = 0.0;
  for (var i = local; i < p.C; i += WG) { gx += rms_dout[base + i] * rms_w[i] * rms_x[base + i]; }
  let r = rms_r[row];
  let k = workgroup_sum2(local, vec2<f32>(gx, 0.0)).x / f32(p.C) * r * r * r;
  for (var i = local; i < p.C; i += WG) {
    rms_dinp[base + i] += r * rms_dout[base + i] * rms_w[i] - k * rms_x[base + i];
  }
}

// ---- LayerNorm -------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read_write> ln_out: array<f32>; // [N, C]
@group(0) @binding(2) var<storage, read_write> ln_mean: array<f32>; // [N]
@group(0) @binding(3) var<storage, read_write> ln_rstd: array<f32>; // [N]
@group(0) @binding(4) var<storage, read> ln_inp: array<f32>; // [N, C]
@group(0) @binding(5) var<storage, read> ln_weight: array<f32>; // [C]
@group(0) @binding(6) var<storage, read> ln_bias: array<f32>; // [C]

// Two passes over the row (mean, then the centred sum of squares) rather than E[x²] − E[x]²,
// which cancels badly when |mean| is large against the spread.
@compute @workgroup_size(256)
fn layernorm_forward(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>,
                     @builtin(num_workgroups) groups: vec3<u32>) {
  let row = row_of(wg, groups);
  if (row >= p.N) { return; }
  let base = row * p.C;
  var s = 0.0;
  for (var i = local; i < p.C; i += WG) { s += ln_inp[base + i]; }
  let m = workgroup_sum2(local, vec2<f32>(s, 0.0)).x / f32(p.C);
  var ss = 0.0;
  for (var i = local; i < p.C; i += WG) { let d = ln_inp[base + i] - m; ss += d * d; }
  let r = inverseSqrt(workgroup_sum2(local, vec2<f32>(ss, 0.0)).x / f32(p.C) + p.eps);
  if (local == 0u) {
    ln_mean[row] = m;
    ln_rstd[row] = r;
  }
  for (var i = local; i < p.C; i += WG) {
    ln_out[base + i] = (ln_inp[base + i] - m) * r * ln_weight[i] + ln_bias[i];
  }
}

@group(0) @binding(1) var<storage, read_write> ln_dinp: array<f32>; // [N, C]
@group(0) @binding(2) var<storage, read> ln_dout: array<f32>; // [N, C]
@group(0) @binding(3) var<storage, read> ln_x: array<f32>; // [N, C]
@group(0) @binding(4) var<storage, read> ln_w: array<f32>; // [C]
@group(0) @binding(5) var<storage, read> ln_m: array<f32>; // [N]
@group(0) @binding(6) var<storage, read> ln_r: array<f32>; // [N]

// With g = dout · w and x̂ = (x − mean) · rstd:  dinp += rstd · (g − mean(g) − x̂ · mean(g · x̂))
// (llm.c's layernorm_backward); both means come from one reduction of a vec2.
@compute @workgroup_size(256)
fn layernorm_backward(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>,
                      @builtin(num_workgroups) groups: vec3<u32>) {
  let row = row_of(wg, groups);
  if (row >= p.N) { return; }
  let base = row * p.C;
  let m = ln_m[row];
  let r = ln_r[row];
  var acc = vec2<f32>(0.0);
  for (var i = local; i < p.C; i += WG) {
    let g = ln_dout[base + i] * ln_w[i];
    acc += vec2<f32>(g, g * (ln_x[base + i] - m) * r);
  }
  let means = workgroup_sum2(local, acc) / f32(p.C);
  for (var i = local; i < p.C; i += WG) {
    let g = ln_dout[base + i] * ln_w[i];
    let xhat = (ln_x[base + i] - m) * r;
    ln_dinp[base + i] += r * (g - means.x - xhat * means.y);
  }
}

// ---- Weight and bias gradients (both norms) --------------------------------------------------

@group(0) @binding(1) var<storage, read_write> dweight: array<f32>; // [C]
@group(0) @binding(2) var<storage, read_write> dbias: array<f32>; // [C]
@group(0) @binding(3) var<storage, read> dp_dout: array<f32>; // [N, C]
@group(0) @binding(4) var<storage, read> dp_inp: array<f32>; // [N, C]
@group(0) @binding(5) var<storage, read> dp_mean: array<f32>; // [N] (layernorm only)
@group(0) @binding(6) var<storage, read> dp_rstd: array<f32>; // [N]

// dweight [C] += Σₙ dout · x̂,  dbias [C] += Σₙ dout,  with x̂ = (x − (RMS ? 0 : mean)) · rstd.
// The RMS variant never reads mean (its wrapper binds rstd there); a gradient that is not wanted is
// bound to the unused buffer and never written.
@compute @workgroup_size(32, 8)
fn norm_dparams(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
  let c = (wg.x + wg.y * groups.x) * 32u + lid.x;
  var acc = vec2<f32>(0.0);
  if (c < p.C) {
    for (var n = lid.y; n < p.N; n += 8u) {
      let g = dp_dout[n * p.C + c];
      var centred = dp_inp[n * p.C + c];
      if (!RMS) { centred -= dp_mean[n]; }
      acc += vec2<f32>(g * centred * dp_rstd[n], g);
    }
  }
  scratch[lid.y * 32u + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && c < p.C) {
    var total = scratch[lid.x];
    for (var lane = 1u; lane < 8u; lane++) { total += scratch[lane * 32u + lid.x]; }
    if (HAS_DWEIGHT) { dweight[c] += total.x; }
    if (HAS_DBIAS) { dbias[c] += total.y; }
  }
}

// ---- Serial variants: one invocation per row (per channel for the dparams) -------------------

const SERIAL_WG: u32 = 64u;

/** The flat invocation index of a 1-D serial dispatch folded into y (grid1d). */
fn serial_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * SERIAL_WG;
}

@compute @workgroup_size(SERIAL_WG)
fn rmsnorm_forward_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = serial_index(gid, groups);
  if (row >= p.N) { return; }
  let base = row * p.C;
  var ss = 0.0;
  for (var i = 0u; i < p.C; i++) { let x = rms_inp[base + i]; ss += x * x; }
  let r = inverseSqrt(ss / f32(p.C) + p.eps);
  rms_rstd[row] = r;
  for (var i = 0u; i < p.C; i++) { rms_out[base + i] = rms_inp[base + i] * r * rms_weight[i]; }
}

@compute @workgroup_size(SERIAL_WG)
fn rmsnorm_backward_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = serial_index(gid, groups);
  if (row >= p.N) { return; }
  let base = row * p.C;
  var gx = 0.0;
  for (var i = 0u; i < p.C; i++) { gx += rms_dout[base + i] * rms_w[i] * rms_x[base + i]; }
  let r = rms_r[row];
  let k = gx / f32(p.C) * r * r * r;
  for (var i = 0u; i < p.C; i++) {
    rms_dinp[base + i] += r * rms_dout[base + i] * rms_w[i] - k * rms_x[base + i];
  }
}

@compute @workgroup_size(SERIAL_WG)
fn layernorm_forward_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = serial_index(gid, groups);
  if (row >= p.N) { return; }
  let base = row * p.C;
  var s = 0.0;
  for (var i = 0u; i < p.C; i++) { s += ln_inp[base + i]; }
  let m = s / f32(p.C);
  var ss = 0.0;
  for (var i = 0u; i < p.C; i++) { let d = ln_inp[base + i] - m; ss += d * d; }
  let r = inverseSqrt(ss / f32(p.C) + p.eps);
  ln_mean[row] = m;
  ln_rstd[row] = r;
  for (var i = 0u; i < p.C; i++) {
    ln_out[base + i] = (ln_inp[base + i] - m) * r * ln_weight[i] + ln_bias[i];
  }
}

@compute @workgroup_size(SERIAL_WG)
fn layernorm_backward_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = serial_index(gid, groups);
  if (row >= p.N) { return; }
  let base = row * p.C;
  let m = ln_m[row];
  let r = ln_r[row];
  var acc = vec2<f32>(0.0);
  for (var i = 0u; i < p.C; i++) {
    let g = ln_dout[base + i] * ln_w[i];
    acc += vec2<f32>(g, g * (ln_x[base + i] - m) * r);
  }
  let means = acc / f32(p.C);
  for (var i = 0u; i < p.C; i++) {
    let g = ln_dout[base + i] * ln_w[i];
    let xhat = (ln_x[base + i] - m) * r;
    ln_dinp[base + i] += r * (g - means.x - xhat * means.y);
  }
}

// One invocation per channel walks every row; adjacent invocations read adjacent channels.
@compute @workgroup_size(SERIAL_WG)
fn norm_dparams_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let c = serial_index(gid, groups);
  if (c >= p.C) { return; }
  var acc = vec2<f32>(0.0);
  for (var n = 0u; n < p.N; n++) {
    let g = dp_dout[n * p.C + c];
    var centred = dp_inp[n * p.C + c];
    if (!RMS) { centred -= dp_mean[n]; }
    acc += vec2<f32>(g * centred * dp_rstd[n], g);
  }
  if (HAS_DWEIGHT) { dweight[c] += acc.x; }
  if (HAS_DBIAS) { dbias[c] += acc.y; }
}
