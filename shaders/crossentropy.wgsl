// Softmax cross-entropy over the vocabulary, one 256-wide workgroup per row (N rows = B·T, V vocab):
//
//   losses[n] = −log softmax(logits[n])[targets[n]]   or 0 where targets[n] < 0 (ignored: prompt
//                                                      tokens, padding; PyTorch's ignore_index −100)
//   WRITE_GRAD: logits[n] ← grad_scale · (softmax(logits[n]) − onehot(targets[n]))   (in place)
//
// Overwriting the logits with their own gradient saves an [N, V] buffer, the largest activation of
// a small model. A row whose target is ignored gets a zero gradient. A target ≥ V (a data bug the
// GPU cannot report) is treated like an ignored one, so it can never read outside the row.
//
// Each invocation walks a strided share of the row keeping a running (max, Σ exp(x − max)) — the
// online softmax, one read of the row instead of two — and a shared-memory tree merges the pairs.
// The row index folds into y past 65,535 workgroups (grid1d in src/gpu/dispatch.ts).
//
// cross_entropy_serial is the variant for CPU-backed adapters (SwiftShader, lavapipe), chosen by the
// wrapper from Gpu.kernelVariant: one invocation per row and no barriers, which such drivers run as
// coroutines switched at every barrier, far slower than the arithmetic of a row.

override WRITE_GRAD: bool = false;

struct Params {
  N: u32,
  V: u32,
  grad_scale: f32,
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> losses: array<f32>; // [N]
@group(0) @binding(2) var<storage, read_write> logits: array<f32>; // [N, V], becomes dlogits
@group(0) @binding(3) var<storage, read> targets: array<i32>; // [N]

var<workgroup> scratch: array<vec2<f32>, 256>;

/**
 * Merges two (max, Σ exp(x − max)) pairs. A pair with sum 0 covers no elements (an invocation past
 * the end of a short row) and is skipped, so no exp(−∞ + ∞) is ever evaluated.
 */
fn merge(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  if (b.y == 0.0) { return a; }
  if (a.y == 0.0) { return b; }
  let m = max(a.x, b.x);
  return vec2<f32>(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

@compute @workgroup_size(256)
fn cross_entropy(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>,
                 @builtin(num_workgroups) groups: vec3<u32>) {
  let row = wg.x + wg.y * groups.x;
  if (row >= p.N) { return; }
  let base = row * p.V;
  let t = targets[row];
  let valid = t >= 0 && u32(t) < p.V;
  // Read before the barriers below: after them, other invocations overwrite the row.
  var xt = 0.0;
  if (valid) { xt = logits[base + u32(t)]; }

  var acc = vec2<f32>(0.0);
  for (var i = local; i < p.V; i += WG) {
    let x = logits[base + i];
    if (acc.y == 0.0) {
      acc = vec2<f32>(x, 1.0);
    } else if (x > acc.x) {
      acc = vec2<f32>(x, acc.y * exp(acc.x - x) + 1.0);
    } else {
      acc.y += exp(x - acc.x);
    }
  }
  scratch[local] = acc;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width >>= 1u) {
    if (local < width) { scratch[local] = merge(scratch[local], scratch[local + width]); }
    workgroupBarrier();
  }
  let total = scratch[0]; // (max, Σ exp(x − max)), the sum ≥ 1

  // log Σ exp(x) − x_t, grouped as (max − x_t) + log(sum): max − x_t is exact when they are close.
  if (local == 0u) { losses[row] = select(0.0, (total.x - xt) + log(total.y), valid); }
  if (WRITE_GRAD) {
    let inv_sum = 1.0 / total.y;
    for (var i = local; i < p.V; i += WG) {
      let prob = exp(logits[base + i] - total.x) * inv_sum;
      let onehot = select(0.0, 1.0, valid && i == u32(t));
      logits[base + i] = select(0.0, p.grad_scale * (prob - onehot), valid);
    }
  }
}

const SERIAL_WG: u32 = 64u;

// One invocation per row, three passes over it: the max, Σ exp(x − max), then the gradient. With
// no other invocation to merge with, a plain max pass is simpler than the online pair and keeps
// the loops free of branches. The sum is taken in blocks of ⌈√V⌉ terms, so a rounding error
// passes through about 2√V additions rather than V.
@compute @workgroup_size(SERIAL_WG)
fn cross_entropy_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = gid.x + gid.y * groups.x * SERIAL_WG;
  if (row >= p.N) { return; }
  let base = row * p.V;
  let t = targets[row];
  let valid = t >= 0 && u32(t) < p.V;
  var xt = 0.0;
  if (valid) { xt = logits[base + u32(t)]; }

  var m = logits[base];
  for (var i = 1u; i < p.V; i++) { m = max(m, logits[base + i]); }
  let width = u32(ceil(sqrt(f32(p.V))));
  var sum = 0.0;
  for (var i0 = 0u; i0 < p.V; i0 += width) {
    var block = 0.0;
    for (var i = i0; i < min(i0 + width, p.V); i++) { block += exp(logits[base + i] - m); }
    sum += block;
  }

  losses[row] = select(0.0, (m - xt) + log(sum), valid);
  if (WRITE_GRAD) {
    let inv_sum = 1.0 / sum;
    for (var i = 0u; i < p.V; i++) {
      let prob = exp(logits[base + i] - m) * inv_sum;
      let onehot = select(0.0, 1.0, valid && i == u32(t));
      logits[base + i] = select(0.0, p.grad_scale * (prob - onehot), valid);
    }
  }
}
