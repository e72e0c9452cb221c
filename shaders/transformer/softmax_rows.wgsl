// Row softmax of a masked stage without workgroup memory or barriers: one invocation per (head, query) row
// (index gid.x + gid.y·threads_per_row), for software adapters, where shaders/attention/softmax.wgsl (one
// 256-thread workgroup per row) is dominated by its barriers. Same results and stats as softmax.wgsl:
//   m = max over kept x (x > MASKED), l = Σ exp(x − m) over kept x (ascending j),
//   w = exp(x − m)·(1/l) for kept x, exactly 0 for masked x; a row with nothing kept is all 0.
// Layouts: masked, weights [heads][len][len]; stats [heads][len][2] = (m, l). Joined after mask.wgsl.

struct Params {
  heads: u32,
  len: u32,
  threads_per_row: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> masked: array<f32>;
@group(0) @binding(2) var<storage, read_write> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(64)
fn softmax_rows(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x + gid.y * p.threads_per_row;
  if (row >= p.heads * p.len) {
    return;
  }
  let base = row * p.len;
  var m = MASKED;
  for (var j = 0u; j < p.len; j++) {
    let x = masked[base + j];
    if (x > MASKED) {
      m = max(m, x);
    }
  }
  var l = 0.0;
  if (m > MASKED) {
    for (var j = 0u; j < p.len; j++) {
      let x = masked[base + j];
      if (x > MASKED) {
        l += exp(x - m);
      }
    }
  }
  var inv = 0.0;
  if (l > 0.0) {
    inv = 1.0 / l;
  }
  for (var j = 0u; j < p.len; j++) {
    let x = masked[base + j];
    var w = 0.0;
    if (x > MASKED && l > 0.0) {
      w = exp(x - m) * inv;
    }
    weights[base + j] = w;
  }
  stats[row * 2u] = m;
  stats[row * 2u + 1u] = l;
}
