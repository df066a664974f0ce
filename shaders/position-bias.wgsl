// T5's relative position bias, gathered from a stack's table and its gradient summed back:
//
//   bias[h, i, j] = table[buckets[i, j], h]          table: [buckets, H]   buckets: [Tq, Tk] (u32)
//   dtable[k, h] += Σ over (i, j) with buckets[i, j] = k of dbias[h, i, j]
//
// The bucket of each (query, key) pair is computed on the CPU (relativePositionBucket in
// src/engine/ref/t5.ts, exactly as transformers rounds it) and uploaded once per shape; the GPU only
// gathers and sums. The gradient has one invocation per table entry walking every pair, so no float
// atomics are needed and every run gives the same bits (the table is small: 32 × heads).
// 1-D grids fold into y past 65,535 workgroups (grid1d in src/gpu/dispatch.ts).

const WG = 64u;

struct Params {
  H: u32,
  Tq: u32,
  Tk: u32,
  buckets: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// position_bias_forward
@group(0) @binding(1) var<storage, read_write> bias: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read> pair_buckets: array<u32>;

// position_bias_backward
@group(0) @binding(1) var<storage, read_write> dtable: array<f32>;
@group(0) @binding(2) var<storage, read> dbias: array<f32>;
@group(0) @binding(3) var<storage, read> buckets_b: array<u32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 { return gid.x + gid.y * groups.x * WG; }

@compute @workgroup_size(64)
fn position_bias_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = flat_index(gid, groups);
  if (r >= p.H * p.Tq * p.Tk) { return; }
  let pair = r % (p.Tq * p.Tk);
  let h = r / (p.Tq * p.Tk);
  bias[r] = table[pair_buckets[pair] * p.H + h];
}

@compute @workgroup_size(64)
fn position_bias_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = flat_index(gid, groups);
  if (r >= p.buckets * p.H) { return; }
  let k = r / p.H;
  let h = r % p.H;
  // Summed in blocks of 256 pairs, then the blocks' sums: the last buckets collect most pairs of a
  // long sequence (tens of thousands of terms), where one running f32 sum would lose several digits.
  // (Compensated summation would do better in theory, but drivers that reassociate floats, such as
  // lavapipe's, compile it back into a plain sum.)
  let pairs = p.Tq * p.Tk;
  var sum = 0.0;
  for (var start = 0u; start < pairs; start += 256u) {
    var block = 0.0;
    for (var pair = start; pair < min(start + 256u, pairs); pair++) {
      if (buckets_b[pair] == k) { block += dbias[h * pairs + pair]; }
    }
    sum += block;
  }
  dtable[r] += sum;
}
