// The adapters' optimizer step, kept entirely on the GPU (docs/gora.md §7: AdamW, clipping at
// global norm 1.0), so that a training step needs no readback:
//   clip_scale: one invocation turns the per-tensor sums of squared gradients (written by reduce.wgsl's
//               sumSquares) into the clipping factor of torch.nn.utils.clip_grad_norm_;
//   adamw:      one thread per parameter applies AdamW (Loshchilov & Hutter, "Decoupled Weight Decay
//               Regularization", Algorithm 2) in the operation order of PyTorch's torch.optim.AdamW.
//
// scale: [3] = [clip factor c, global gradient norm g, count of skipped steps].
// A non-finite gradient (NaN or ±Inf anywhere, or squares that overflow) makes g non-finite; then
// c = 0, g keeps that NaN/Inf for the trainer to see when it next reads it, the count grows by one,
// and adamw leaves parameters and moments untouched (as PyTorch's GradScaler skips such a step).
// WGSL lets compilers assume floats are finite (`x != x` may fold to false), so finiteness is tested
// on the bits, and adamw keys on c == 0, which no finite norm produces.

struct ClipParams {
  count: u32,
  max_norm: f32,
}

@group(0) @binding(0) var<uniform> cp: ClipParams;
@group(0) @binding(1) var<storage, read_write> scale_out: array<f32>;
@group(0) @binding(2) var<storage, read> sum_squares: array<f32>;

fn is_finite(x: f32) -> bool {
  // Exponent bits all ones ⇔ Inf or NaN (IEEE 754 binary32).
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(1)
fn clip_scale() {
  var total = 0.0;
  for (var i = 0u; i < cp.count; i++) {
    total += sum_squares[i];
  }
  if (is_finite(total)) {
    let norm = sqrt(total);
    // clip_grad_norm_: clip_coef = max_norm / (total_norm + 1e-6), clamped to at most 1.
    scale_out[0] = min(1.0, cp.max_norm / (norm + 1e-6));
    scale_out[1] = norm;
  } else {
    scale_out[0] = 0.0;
    scale_out[1] = total;
    scale_out[2] += 1.0;
  }
}

// step_size = lr / (1 − β1^t) and bias2_sqrt = √(1 − β2^t) come from the CPU, computed in f64 from
// the 1-based step t (an f32 pow would lose ~1e-5 relative precision in 1 − β2^t at t = 1).
struct AdamParams {
  n: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  step_size: f32,
  bias2_sqrt: f32,
}

@group(0) @binding(0) var<uniform> ap: AdamParams;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read> grad: array<f32>;
@group(0) @binding(5) var<storage, read> scale_in: array<f32>;

@compute @workgroup_size(256)
fn adamw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  // The 1-D grid may fold into y past 65,535 workgroups (grid1d in src/gpu/dispatch.ts).
  let i = gid.x + gid.y * groups.x * 256u;
  let c = scale_in[0];
  if (i >= ap.n || c == 0.0) { return; }
  let g = grad[i] * c;
  // Decoupled weight decay first, on the parameter before the Adam update (torch: param.mul_(1 − lr·wd)).
  var p = param[i];
  p = p - ap.lr * ap.weight_decay * p;
  let m_new = ap.beta1 * m[i] + (1.0 - ap.beta1) * g;
  let v_new = ap.beta2 * v[i] + (1.0 - ap.beta2) * g * g;
  m[i] = m_new;
  v[i] = v_new;
  // torch: denom = √v / √(1 − β2^t) + eps;  param −= (lr / (1 − β1^t)) · m / denom.
  let denom = sqrt(v_new) / ap.bias2_sqrt + ap.eps;
  param[i] = p - ap.step_size * (m_new / denom);
}
