// Head split / merge between an activation [B·T][width] (its column block offset … offset + H·dh − 1) and a
// per-head tensor [B][H][T][dh]: head h of row b·T + t is columns offset + h·dh + c. Each is the other's
// backward. One invocation per per-head element, index gid.x + gid.y·threads_per_row (grid1D). Exact copies.

struct Params {
  batch: u32,
  heads: u32,
  len: u32,
  dim: u32,
  width: u32,
  offset: u32,
  threads_per_row: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

// Index in the activation of per-head element i = ((b·H + h)·T + t)·dh + c.
fn activation_index(i: u32) -> u32 {
  let c = i % p.dim;
  let t = (i / p.dim) % p.len;
  let bh = i / (p.dim * p.len);
  let h = bh % p.heads;
  let b = bh / p.heads;
  return (b * p.len + t) * p.width + p.offset + h * p.dim + c;
}

@compute @workgroup_size(64)
fn head_split(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * p.threads_per_row;
  if (i >= p.batch * p.heads * p.len * p.dim) {
    return;
  }
  dst[i] = src[activation_index(i)];
}

@compute @workgroup_size(64)
fn head_merge(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * p.threads_per_row;
  if (i >= p.batch * p.heads * p.len * p.dim) {
    return;
  }
  dst[activation_index(i)] = src[i];
}
