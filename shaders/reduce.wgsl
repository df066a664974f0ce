// Full reductions of n floats to one number, in two dispatches:
//   reduce_partial: each workgroup folds a grid-strided share of the input into partials[wg];
//   reduce_final:   one workgroup sums the partials, scales, and writes out[out_index].
// OP selects the term: 0 → x, 1 → x², 2 → |x · y| (GoRA's importance is its mean: scale = 1/n).

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
