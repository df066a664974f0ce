// Full reductions of n floats to one number, in two dispatches:
//   reduce_partial: each workgroup folds a grid-strided share of the input into partials[wg];
//   reduce_final:   one workgroup sums the partials, scales, and writes out[out_index].
// OP selects the term: 0 → x, 1 → x², 2 → |x · y| (GoRA's importance is its mean: scale = 1/n).
//
// The `_serial` pair is the variant for CPU-backed adapters (SwiftShader, lavapipe), chosen by the
// wrapper from Gpu.kernelVariant: one invocation per partial sum and one for the final sum, no
// barriers (such drivers run a workgroup that contains a barrier as coroutines switched at every
// barrier). Each invocation adds its terms in blocks, so a rounding error passes through about
// BLOCK + terms/BLOCK additions rather than one per term.

override OP: u32 = 0u;

struct Params {
  n: u32,
  groups: u32,
  scale: f32,
  out_index: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;

var<workgroup> shared_sum: array<f32, 256>;

fn term(i: u32) -> f32 {
  if (OP == 1u) { return x[i] * x[i]; }
  if (OP == 2u) { return abs(x[i] * y[i]); }
  return x[i];
}

fn workgroup_sum(local: u32, value: f32) -> f32 {
  shared_sum[local] = value;
  workgroupBarrier();
  for (var width = 128u; width > 0u; width >>= 1u) {
    if (local < width) { shared_sum[local] += shared_sum[local + width]; }
    workgroupBarrier();
  }
  return shared_sum[0];
}

@compute @workgroup_size(256)
fn reduce_partial(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  var sum = 0.0;
  for (var i = wg.x * 256u + local; i < p.n; i += p.groups * 256u) {
    sum += term(i);
  }
  let total = workgroup_sum(local, sum);
  if (local == 0u) { out[wg.x] = total; }
}

@compute @workgroup_size(256)
fn reduce_final(@builtin(local_invocation_index) local: u32) {
  var sum = 0.0;
  for (var i = local; i < p.groups; i += 256u) {
    sum += x[i];
  }
  let total = workgroup_sum(local, sum);
  if (local == 0u) { out[p.out_index] = total * p.scale; }
}

// ---- Serial variant ----------------------------------------------------------------------------

const BLOCK: u32 = 64u;

// Invocation g < groups sums the terms g, g + groups, g + 2·groups, … into out[g] (adjacent
// invocations read adjacent elements).
@compute @workgroup_size(64)
fn reduce_partial_serial(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = gid.x;
  if (g >= p.groups) { return; }
  let span = BLOCK * p.groups;
  var total = 0.0;
  for (var i0 = g; i0 < p.n; i0 += span) {
    var block = 0.0;
    for (var i = i0; i < min(p.n, i0 + span); i += p.groups) { block += term(i); }
    total += block;
  }
  out[g] = total;
}

// One invocation sums the partials (at most 256) in blocks of 16.
@compute @workgroup_size(1)
fn reduce_final_serial() {
  var total = 0.0;
  for (var i0 = 0u; i0 < p.groups; i0 += 16u) {
    var block = 0.0;
    for (var i = i0; i < min(p.groups, i0 + 16u); i++) { block += x[i]; }
    total += block;
  }
  out[p.out_index] = total * p.scale;
}
