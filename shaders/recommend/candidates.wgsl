// Candidate merge and pre-rank score (joined after ranks.wgsl), one workgroup of 256 threads per user.
// Slots s < R are the user's recall row, then the P popular items, then the user's recent row (row
// recent_category[user] of recent_table). A slot becomes NO_PICK when its id is NO_PICK, is in the user's
// history, or equals an earlier slot's id (so the first occurrence is kept). Two entry points, so that
// neither binds more than 8 storage buffers:
//   merge: recall [users][R], popular [P], recent_table [K][C], recent_category [users], history [users][H]
//          → merged [users][S]
//   score: merged, user_vecs [users][32], embeddings [items][32], log_pop [items]
//          → scores [users][S] = u·v (dimension order) + beta·log_pop[item]; NEG_BIG where NO_PICK.

struct Params {
  users: u32,
  recall_k: u32,
  popular_k: u32,
  recent_k: u32,
  history_len: u32,
  slots: u32,
  beta: f32,
  _pad: u32,
};

const WG: u32 = 256u;
const DIM: u32 = 32u;
const MAX_SLOTS: u32 = 1024u;
const MAX_HISTORY: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;

// ---- merge bindings
@group(0) @binding(1) var<storage, read> recall: array<u32>;
@group(0) @binding(2) var<storage, read> popular: array<u32>;
@group(0) @binding(3) var<storage, read> recent_table: array<u32>;
@group(0) @binding(4) var<storage, read> recent_category: array<u32>;
@group(0) @binding(5) var<storage, read> history: array<u32>;
@group(0) @binding(6) var<storage, read_write> merged_out: array<u32>;

var<workgroup> raw: array<u32, MAX_SLOTS>;
var<workgroup> hist: array<u32, MAX_HISTORY>;

// The id of slot s before de-duplication.
fn slot_id(user: u32, s: u32) -> u32 {
  let r = params.recall_k;
  let p = params.popular_k;
  if (s < r) {
    return recall[user * r + s];
  }
  if (s < r + p) {
    return popular[s - r];
  }
  let row = recent_category[user];
  return recent_table[row * params.recent_k + (s - r - p)];
}

@compute @workgroup_size(256)
fn merge(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let user = wg.x;
  let lid = lid3.x;
  let n = params.slots;
  let h = params.history_len;
  for (var s = lid; s < n; s = s + WG) {
    raw[s] = slot_id(user, s);
  }
  for (var j = lid; j < h; j = j + WG) {
    hist[j] = history[user * h + j];
  }
  workgroupBarrier();
  for (var s = lid; s < n; s = s + WG) {
    let id = raw[s];
    var drop = id == NO_PICK;
    for (var j = 0u; j < h; j = j + 1u) {
      drop = drop || hist[j] == id;
    }
    for (var j = 0u; j < s; j = j + 1u) {
      drop = drop || raw[j] == id;
    }
    merged_out[user * n + s] = select(id, NO_PICK, drop);
  }
}

// ---- score bindings (binding numbers reused: each entry point has its own bind-group layout)
@group(0) @binding(1) var<storage, read> merged_in: array<u32>;
@group(0) @binding(2) var<storage, read> user_vecs: array<f32>;
@group(0) @binding(3) var<storage, read> embeddings: array<f32>;
@group(0) @binding(4) var<storage, read> log_pop: array<f32>;
@group(0) @binding(5) var<storage, read_write> scores: array<f32>;

var<workgroup> user_v: array<f32, DIM>;

@compute @workgroup_size(256)
fn score(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let user = wg.x;
  let lid = lid3.x;
  let n = params.slots;
  if (lid < DIM) {
    user_v[lid] = user_vecs[user * DIM + lid];
  }
  workgroupBarrier();
  for (var s = lid; s < n; s = s + WG) {
    let id = merged_in[user * n + s];
    var g = NEG_BIG;
    if (id != NO_PICK) {
      var d = 0.0;
      for (var c = 0u; c < DIM; c = c + 1u) {
        d = d + user_v[c] * embeddings[id * DIM + c];
      }
      g = d + params.beta * log_pop[id];
    }
    scores[user * n + s] = g;
  }
}
