// The first pass of GoRA's importance mean |W ⊙ G| (shaders/reduce.wgsl, OP 2) when W is a stored
// weight of any format: W is decoded in place through the prepended decoding file
// (shaders/weights/*.wgsl, via src/engine/ops/weights.ts), so no f32 copy of W is made. Each entry
// point writes partial sums of |w_i · g_i| to partials[0 .. groups); shaders/reduce.wgsl's
// reduce_final / reduce_final_serial then sum them and scale by 1/n.
// Partition and summation order: as reduce_partial and reduce_partial_serial.

struct Params {
  n: u32,
  groups: u32,
  cols: u32, // W is [n / cols, cols]; row i / cols holds element i (the int8 scale's row)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
// W (`w`, and `w_scales` for int8 and q4) is declared by the prepended decoding file.
const W_BINDING = 3u;
const W_SCALES_BINDING = 4u;

var<workgroup> shared_sum: array<f32, 256>;

fn term(i: u32) -> f32 {
  return abs(w_load(i, i / p.cols) * g[i]);
}

@compute @workgroup_size(256)
fn mean_abs_product_partial(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  var sum = 0.0;
  for (var i = wg.x * 256u + local; i < p.n; i += p.groups * 256u) {
    sum += term(i);
  }
  shared_sum[local] = sum;
  workgroupBarrier();
  for (var width = 128u; width > 0u; width >>= 1u) {
    if (local < width) { shared_sum[local] += shared_sum[local + width]; }
    workgroupBarrier();
  }
  if (local == 0u) { partials[wg.x] = shared_sum[0]; }
}

const BLOCK: u32 = 64u;

@compute @workgroup_size(64)
fn mean_abs_product_partial_serial(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  if (k >= p.groups) { return; }
  let span = BLOCK * p.groups;
  var total = 0.0;
  for (var i0 = k; i0 < p.n; i0 += span) {
    var block = 0.0;
    for (var i = i0; i < min(p.n, i0 + span); i += p.groups) { block += term(i); }
    total += block;
  }
  partials[k] = total;
}
