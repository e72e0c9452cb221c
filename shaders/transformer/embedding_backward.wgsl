// Embedding backward without atomics, deterministic (fixed summation order, one writer per output):
//   grad_tokens:    out[id][c] = Σ_{r ascending, x[r] = id} d_h[r][c]   one invocation per (id, channel)
//   grad_positions: out[t][c]  = Σ_{b ascending} d_h[b·T + t][c]        one invocation per (t, channel)
// Ids ≥ vocab receive nothing. Invocation index gid.x + gid.y·threads_per_row (grid1D).

// Params, p and tokens: embedding_common.wgsl, joined first.
@group(0) @binding(2) var<storage, read> d_h: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn grad_tokens(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x + gid.y * p.threads_per_row;
  if (idx >= p.vocab * p.dim) {
    return;
  }
  let id = idx / p.dim;
  let c = idx % p.dim;
  var s = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    if (tokens[r] == id) {
      s += d_h[r * p.dim + c];
    }
  }
  out[idx] = s;
}

@compute @workgroup_size(64)
fn grad_positions(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x + gid.y * p.threads_per_row;
  if (idx >= p.len * p.dim) {
    return;
  }
  var s = 0.0;
  for (var r = idx / p.dim; r < p.rows; r += p.len) {
    s += d_h[r * p.dim + idx % p.dim];
  }
  out[idx] = s;
}
