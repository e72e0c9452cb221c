// LayerNorm over rows: y[r][c] = (x[r][c] − μ_r)·inverseSqrt(σ²_r + ε)·gain[c] + bias[c], x and y [rows][C],
// σ² the biased variance. Two passes (μ = Σx/C, then σ² = Σ(x − μ)²/C), never E[x²] − μ².
//   layernorm:        one 64-invocation workgroup per row (row = wid.x + wid.y·groups_x): strided partial
//                     sums, then a tree reduction in workgroup memory. For GPUs.
//   layernorm_serial: one invocation per row (row = gid.x + gid.y·threads_per_row), no workgroup memory or
//                     barriers. For software adapters, where barriers dominate (as softmax_rows.wgsl).

struct Params {
  rows: u32,
  channels: u32,
  eps: f32,
  threads_per_row: u32,
  groups_x: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gain: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

fn workgroup_sum(lid: u32, v: f32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      partial[lid] = partial[lid] + partial[lid + s];
    }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(64)
fn layernorm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * p.groups_x;
  // Uniform across the workgroup, so the barriers below stay in uniform control flow.
  let in_range = row < p.rows;
  let r = min(row, p.rows - 1u);
  let base = r * p.channels;
  let n = f32(p.channels);
  var s = 0.0;
  for (var c = lid; c < p.channels; c += WG) {
    s += x[base + c];
  }
  let mean = workgroup_sum(lid, s) / n;
  var q = 0.0;
  for (var c = lid; c < p.channels; c += WG) {
    let d = x[base + c] - mean;
    q += d * d;
  }
  let inv = inverseSqrt(workgroup_sum(lid, q) / n + p.eps);
  if (in_range) {
    for (var c = lid; c < p.channels; c += WG) {
      y[base + c] = (x[base + c] - mean) * inv * gain[c] + bias[c];
    }
  }
}

@compute @workgroup_size(64)
fn layernorm_serial(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x + gid.y * p.threads_per_row;
  if (row >= p.rows) {
    return;
  }
  let base = row * p.channels;
  let n = f32(p.channels);
  var s = 0.0;
  for (var c = 0u; c < p.channels; c++) {
    s += x[base + c];
  }
  let mean = s / n;
  var q = 0.0;
  for (var c = 0u; c < p.channels; c++) {
    let d = x[base + c] - mean;
    q += d * d;
  }
  let inv = inverseSqrt(q / n + p.eps);
  for (var c = 0u; c < p.channels; c++) {
    y[base + c] = (x[base + c] - mean) * inv * gain[c] + bias[c];
  }
}
