// Token (+ learned position) embedding, N rows = B·T, C channels, V vocab:
//
//   out[n] = wte[tokens[n]] + (HAS_WPE ? wpe[n mod T] : 0)
//
// Backward adds into dwte and dwpe without float atomics, so every run gives the same bits:
//   embedding_dwte: one invocation per channel c walks the rows in order, adding dout[n, c] into
//                   dwte[tokens[n], c]; a token repeated in the batch is summed by one invocation.
//   embedding_dwpe: one invocation per (t, c) sums dout over the rows at position t.
// A token ≥ V (the rows wte holds) contributes nothing instead of reading or writing outside it.
//
// A vocabulary larger than one storage binding is split by rows into tables of V_k rows starting at
// row_offset (src/engine/vocab-chunks.ts): embedding_forward gathers from the first table, then
// embedding_add_rows adds each later table's rows for the tokens it holds (exactly one table holds
// a token, the others add nothing); embedding_dwte takes the table's row_offset the same way.
// 1-D grids fold into y past 65,535 workgroups (grid1d in src/gpu/dispatch.ts).

override HAS_WPE: bool = false;

struct Params {
  N: u32,
  T: u32,
  C: u32,
  row_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// Each entry point declares its own bindings, in the order its wrapper passes them; WGSL allows
// equal binding numbers in one module as long as no entry point uses two of them.

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@group(0) @binding(1) var<storage, read_write> out: array<f32>; // [N, C]
@group(0) @binding(2) var<storage, read> tokens: array<u32>; // [N]
@group(0) @binding(3) var<storage, read> wte: array<f32>; // [V, C]
@group(0) @binding(4) var<storage, read> wpe: array<f32>; // [maxPositions ≥ T, C]

// One invocation per element of out: adjacent invocations read adjacent channels of a row.
@compute @workgroup_size(256)
fn embedding_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= p.N * p.C) { return; }
  let n = i / p.C;
  let c = i % p.C;
  let token = tokens[n];
  var value = 0.0;
  if (token < arrayLength(&wte) / p.C) { value = wte[token * p.C + c]; }
  if (HAS_WPE) { value += wpe[(n % p.T) * p.C + c]; }
  out[i] = value;
}

@group(0) @binding(1) var<storage, read_write> out_rows: array<f32>; // [N, C]
@group(0) @binding(2) var<storage, read> tokens_rows: array<u32>; // [N]
@group(0) @binding(3) var<storage, read> wte_rows: array<f32>; // [V_k, C]: rows row_offset .. row_offset + V_k

@compute @workgroup_size(256)
fn embedding_add_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= p.N * p.C) { return; }
  let n = i / p.C;
  let c = i % p.C;
  // A token below row_offset wraps to a huge u32 and fails the test, as one past the table does.
  let row = tokens_rows[n] - p.row_offset;
  if (row < arrayLength(&wte_rows) / p.C) { out_rows[i] += wte_rows[row * p.C + c]; }
}

@group(0) @binding(1) var<storage, read_write> dwte: array<f32>; // [V_k, C]: rows row_offset .. row_offset + V_k
@group(0) @binding(2) var<storage, read> dout_te: array<f32>; // [N, C]
@group(0) @binding(3) var<storage, read> tokens_te: array<u32>; // [N]

@compute @workgroup_size(256)
fn embedding_dwte(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let c = flat_index(gid, groups);
  if (c >= p.C) { return; }
  let V = arrayLength(&dwte) / p.C;
  for (var n = 0u; n < p.N; n++) {
    let row = tokens_te[n] - p.row_offset;
    if (row < V) { dwte[row * p.C + c] += dout_te[n * p.C + c]; }
  }
}

@group(0) @binding(1) var<storage, read_write> dwpe: array<f32>; // [maxPositions ≥ T, C]
@group(0) @binding(2) var<storage, read> dout_pe: array<f32>; // [N, C]

@compute @workgroup_size(256)
fn embedding_dwpe(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= p.T * p.C) { return; }
  let t = i / p.C;
  let c = i % p.C;
  var sum = 0.0;
  for (var n = t; n < p.N; n += p.T) { sum += dout_pe[n * p.C + c]; }
  dwpe[i] += sum;
}
