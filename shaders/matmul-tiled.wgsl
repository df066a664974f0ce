// Batched matrix product with workgroup-shared tiles: the `parallel` variant, for real GPUs. Same
// contract as shaders/matmul.wgsl:
//
//   C[b] = alpha · op(A[b]) · op(B[b]) + bias + (ACCUMULATE ? C[b] : 0)
//   op(A) is [M, K], stored [M, K], or [K, M] when TRANS_A
//   op(B) is [K, N], stored [K, N], or [N, K] when TRANS_B
//
// A 16×16 workgroup computes a 64×64 block of C, 4×4 per invocation in registers. For each slice of
// TK values of k the workgroup first copies a 64×TK tile of op(A) and a TK×64 tile of op(B) into
// workgroup memory — consecutive invocations read consecutive floats of each operand's stored rows,
// so the global reads coalesce whatever the transposes — then every invocation reads its operands
// from there: each global float is read once per workgroup instead of 16 times. The barriers this
// needs are cheap on GPUs but expensive on CPU-backed adapters (bench/README.md, "Kernel choices"),
// which use shaders/matmul-vec4.wgsl instead. Any shape: out-of-range elements load as zero.
//
// B is read through w_load from a decoding file prepended by src/engine/ops/weights.ts
// (shaders/weights/*.wgsl), so B may be a stored weight of any format (batch 1 for packed formats).

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  stride_a: u32,
  stride_b: u32,
  stride_c: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
// B (`w`, and `w_scales` for int8 and q4) is declared by the prepended decoding file.
const W_BINDING = 3u;
const W_SCALES_BINDING = 5u;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const TILE = 64u;
const TK = 16u;
const THREADS = 256u;

// [TK][TILE]: k-major, so the compute loop reads four consecutive rows (or columns) at one k.
var<workgroup> tile_a: array<f32, 1024>;
var<workgroup> tile_b: array<f32, 1024>;

fn load_a(base: u32, row: u32, k: u32) -> f32 {
  if (row >= p.M || k >= p.K) { return 0.0; }
  if (TRANS_A) { return a[base + k * p.M + row]; }
  return a[base + row * p.K + k];
}

fn load_b(base: u32, k: u32, col: u32) -> f32 {
  if (k >= p.K || col >= p.N) { return 0.0; }
  if (TRANS_B) { return w_load(base + col * p.K + k, col); }
  return w_load(base + k * p.N + col, k);
}

@compute @workgroup_size(16, 16, 1)
fn matmul(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.y * 16u + lid.x;
  let tile_row = wg.y * TILE;
  let tile_col = wg.x * TILE;
  let a_base = wg.z * p.stride_a;
  let b_base = wg.z * p.stride_b;
  let c_base = wg.z * p.stride_c;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    // 1024 floats per tile, 4 per invocation; the stored-contiguous index varies fastest over t.
    for (var i = 0u; i < 4u; i++) {
      let e = t + i * THREADS;
      var m: u32;
      var ka: u32;
      if (TRANS_A) { m = e % TILE; ka = e / TILE; } else { ka = e % TK; m = e / TK; }
      tile_a[ka * TILE + m] = load_a(a_base, tile_row + m, k0 + ka);
      var n: u32;
      var kb: u32;
      if (TRANS_B) { kb = e % TK; n = e / TK; } else { n = e % TILE; kb = e / TILE; }
      tile_b[kb * TILE + n] = load_b(b_base, k0 + kb, tile_col + n);
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let ao = k * TILE + lid.y * 4u;
      let bo = k * TILE + lid.x * 4u;
      let av = vec4<f32>(tile_a[ao], tile_a[ao + 1u], tile_a[ao + 2u], tile_a[ao + 3u]);
      let bv = vec4<f32>(tile_b[bo], tile_b[bo + 1u], tile_b[bo + 2u], tile_b[bo + 3u]);
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
    }
    workgroupBarrier();
  }

  let row0 = tile_row + lid.y * 4u;
  let col0 = tile_col + lid.x * 4u;
  let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + i;
    if (row >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + j;
      if (col >= p.N) { break; }
      var out = p.alpha * accs[i][j];
      if (HAS_BIAS) { out += bias[col]; }
      let idx = c_base + row * p.N + col;
      if (ACCUMULATE) { c[idx] += out; } else { c[idx] = out; }
    }
  }
}
