// Gathers between funnel stages (joined after ranks.wgsl), one thread per output element, 1D grid folded
// into 2D (index = gid.x + gid.y·threads_per_row). Two entry points with their own bind-group layouts:
//   gather:   out_ids[u][j] = source_ids[u][p], out_values[u][j] = source_values[u][p], p = positions[u][j];
//             p = NO_PICK (or p ≥ width) gives NO_PICK and NEG_BIG. Values only when has_values ≠ 0.
//   features: row r = u·k + j of features [users·k][97] is [u, v, u⊙v, log_pop[item]] for item = ids[r];
//             zeros for NO_PICK.

struct Params {
  users: u32,
  k: u32,
  width: u32,
  has_values: u32,
  threads_per_row: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
};

const DIM: u32 = 32u;
const FEATURES: u32 = 97u;

@group(0) @binding(0) var<uniform> params: Params;

// ---- gather bindings
@group(0) @binding(1) var<storage, read> positions: array<u32>;
@group(0) @binding(2) var<storage, read> source_ids: array<u32>;
@group(0) @binding(3) var<storage, read> source_values: array<f32>;
@group(0) @binding(4) var<storage, read_write> out_ids: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_values: array<f32>;

@compute @workgroup_size(256)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.threads_per_row;
  if (i >= params.users * params.k) {
    return;
  }
  let u = i / params.k;
  let p = positions[i];
  var id = NO_PICK;
  var v = NEG_BIG;
  if (p < params.width) {
    id = source_ids[u * params.width + p];
    if (params.has_values != 0u) {
      v = source_values[u * params.width + p];
    }
  }
  out_ids[i] = id;
  if (params.has_values != 0u) {
    out_values[i] = v;
  }
}

// ---- features bindings
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> user_vecs: array<f32>;
@group(0) @binding(3) var<storage, read> embeddings: array<f32>;
@group(0) @binding(4) var<storage, read> log_pop: array<f32>;
@group(0) @binding(5) var<storage, read_write> features: array<f32>;

@compute @workgroup_size(256)
fn ranker_features(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.threads_per_row;
  if (i >= params.users * params.k * FEATURES) {
    return;
  }
  let r = i / FEATURES;
  let f = i % FEATURES;
  let u = r / params.k;
  let id = ids[r];
  var x = 0.0;
  if (id != NO_PICK) {
    if (f < DIM) {
      x = user_vecs[u * DIM + f];
    } else if (f < 2u * DIM) {
      x = embeddings[id * DIM + f - DIM];
    } else if (f < 3u * DIM) {
      x = user_vecs[u * DIM + f - 2u * DIM] * embeddings[id * DIM + f - 2u * DIM];
    } else {
      x = log_pop[id];
    }
  }
  features[i] = x;
}
