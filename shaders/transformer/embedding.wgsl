// Token + learned position embedding: h[r][c] = e_tok[x[r]][c] + e_pos[r % T][c] for rows r = b·T + t.
// A token id ≥ vocab takes no token row (only its position). One invocation per (row, channel) (grid1D).

// Params, p and tokens: embedding_common.wgsl, joined first.
@group(0) @binding(2) var<storage, read> e_tok: array<f32>;
@group(0) @binding(3) var<storage, read> e_pos: array<f32>;
@group(0) @binding(4) var<storage, read_write> h: array<f32>;

@compute @workgroup_size(64)
fn embed_forward(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x + gid.y * p.threads_per_row;
  if (idx >= p.rows * p.dim) {
    return;
  }
  let r = idx / p.dim;
  let c = idx % p.dim;
  let id = tokens[r];
  var tok = 0.0;
  if (id < p.vocab) {
    tok = e_tok[id * p.dim + c];
  }
  h[idx] = tok + e_pos[(r % p.len) * p.dim + c];
}
