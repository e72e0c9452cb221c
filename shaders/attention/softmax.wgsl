// Staged attention, stage 2: numerically stable row softmax of the "masked" stage, one workgroup per row.
//   m = max over kept x (x > MASKED)         workgroup tree reduction
//   l = Σ exp(x − m) over kept x             workgroup tree reduction
//   w = exp(x − m) / l for kept x, exactly 0.0 for masked x; a row with nothing kept (l = 0) is all 0.
// Also writes per-row stats (m, l): m = MASKED and l = 0 for a fully-masked row.
// Layouts: masked, weights [heads][len][len]; stats [heads][len][2]. Dispatch (len, heads).
// Joined after mask.wgsl (for MASKED).

struct Params {
  heads: u32,
  len: u32,
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> masked: array<f32>;
@group(0) @binding(2) var<storage, read_write> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;

const WG: u32 = 256u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn softmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let lid = lid3.x;
  let len = params.len;
  let row = wg.y * len + wg.x;
  let base = row * len;

  var m = MASKED;
  for (var j = lid; j < len; j = j + WG) {
    let x = masked[base + j];
    if (x > MASKED) {
      m = max(m, x);
    }
  }
  red[lid] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      red[lid] = max(red[lid], red[lid + s]);
    }
    workgroupBarrier();
  }
  let row_max = red[0];
  workgroupBarrier();

  var l = 0.0;
  if (row_max > MASKED) {
    for (var j = lid; j < len; j = j + WG) {
      let x = masked[base + j];
      if (x > MASKED) {
        l = l + exp(x - row_max);
      }
    }
  }
  red[lid] = l;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      red[lid] = red[lid] + red[lid + s];
    }
    workgroupBarrier();
  }
  let row_sum = red[0];

  var inv = 0.0;
  if (row_sum > 0.0) {
    inv = 1.0 / row_sum;
  }
  for (var j = lid; j < len; j = j + WG) {
    let x = masked[base + j];
    var w = 0.0;
    if (x > MASKED && row_sum > 0.0) {
      w = exp(x - row_max) * inv;
    }
    weights[base + j] = w;
  }
  if (lid == 0u) {
    stats[row * 2u] = row_max;
    stats[row * 2u + 1u] = row_sum;
  }
}
