// List metrics per (point, user), joined after ranks.wgsl (src/kernels/recommend/metrics.ref.ts is the
// float64 definition). list_metrics: one workgroup of 64 threads per (user, point), dispatch (users, points);
// thread k owns list slot k (N ≤ 64). mean_metrics: one workgroup of 256 threads per point, dispatch
// (points); the mean over users in a fixed order (strided partial sums, then a tree), so it is deterministic.
// Bindings:
//   picks    [points][users][n] candidate positions (NO_PICK entries are skipped; positions count kept items)
//   items    [users][m] item id of each position; embeddings [items][32]; categories [items]
//   history  [users][k_categories] p;  held_out [users][held] item ids (NO_PICK padded)
//   per_user [points][users] (ndcg, ild, coverage, kl);  mean [points] (the same, averaged over users)

struct Params {
  points: u32,
  users: u32,
  m: u32,
  n: u32,
  k_categories: u32,
  held: u32,
  mix: f32,
  _pad: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> picks: array<u32>;
@group(0) @binding(2) var<storage, read> items: array<u32>;
@group(0) @binding(3) var<storage, read> embeddings: array<f32>;
@group(0) @binding(4) var<storage, read> categories: array<u32>;
@group(0) @binding(5) var<storage, read> history: array<f32>;
@group(0) @binding(6) var<storage, read> held_out: array<u32>;
@group(0) @binding(7) var<storage, read_write> per_user: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> mean: array<vec4<f32>>;

const LIST: u32 = 64u;
const DIM: u32 = 32u;
const MEAN_WG: u32 = 256u;

var<workgroup> w_item: array<u32, 64>;
var<workgroup> w_cat: array<u32, 64>;
var<workgroup> w_emb: array<f32, 2048>;
var<workgroup> cat_count: array<u32, 16>;
var<workgroup> red3: array<vec3<f32>, 64>;
var<workgroup> red4: array<vec4<f32>, 256>;

@compute @workgroup_size(64)
fn list_metrics(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let user = wg.x;
  let point = wg.y;
  let lid = lid3.x;
  let n = params.n;
  let kc = params.k_categories;
  var item = NO_PICK;
  if (lid < n) {
    let pos = picks[(point * params.users + user) * n + lid];
    if (pos != NO_PICK) {
      item = items[user * params.m + pos];
    }
  }
  w_item[lid] = item;
  if (item != NO_PICK) {
    w_cat[lid] = categories[item];
    for (var c = 0u; c < DIM; c = c + 1u) {
      w_emb[lid * DIM + c] = embeddings[item * DIM + c];
    }
  }
  workgroupBarrier();
  // This slot's rank among the kept items, and the list's length.
  var rank = 0u;
  var len = 0u;
  for (var j = 0u; j < LIST; j = j + 1u) {
    if (w_item[j] != NO_PICK) {
      rank = rank + select(0u, 1u, j < lid);
      len = len + 1u;
    }
  }
  var held = 0u;
  var hit = false;
  for (var h = 0u; h < params.held; h = h + 1u) {
    let x = held_out[user * params.held + h];
    if (x != NO_PICK) {
      held = held + 1u;
      hit = hit || x == item;
    }
  }
  var dcg = 0.0;
  if (hit) {
    dcg = 1.0 / log2(f32(rank + 2u));
  }
  var idcg = 0.0;
  if (lid < min(n, held)) {
    idcg = 1.0 / log2(f32(lid + 2u));
  }
  // Σ_{j > lid} (1 − v_lid·v_j) over kept slots, dots in dimension order.
  var dis = 0.0;
  if (item != NO_PICK) {
    for (var j = lid + 1u; j < LIST; j = j + 1u) {
      if (w_item[j] != NO_PICK) {
        var dot = 0.0;
        for (var c = 0u; c < DIM; c = c + 1u) {
          dot = dot + w_emb[lid * DIM + c] * w_emb[j * DIM + c];
        }
        dis = dis + (1.0 - dot);
      }
    }
  }
  if (lid < kc) {
    var cnt = 0u;
    for (var j = 0u; j < LIST; j = j + 1u) {
      if (w_item[j] != NO_PICK && w_cat[j] == lid) {
        cnt = cnt + 1u;
      }
    }
    cat_count[lid] = cnt;
  }
  red3[lid] = vec3<f32>(dcg, idcg, dis);
  workgroupBarrier();
  for (var s = LIST / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      red3[lid] = red3[lid] + red3[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let sums = red3[0];
    let ndcg = select(0.0, sums.x / sums.y, sums.y > 0.0);
    let pairs = f32(len * (len - 1u) / 2u);
    let ild = select(0.0, sums.z / pairs, len >= 2u);
    // KL(p ‖ q̃), q̃ = (1 − a)·counts/len + a·p (q = 0 for an empty list), as calibration.wgsl.
    let a = params.mix;
    let keep = 1.0 - a;
    let total = f32(max(len, 1u));
    var coverage = 0u;
    var kl = 0.0;
    for (var c = 0u; c < kc; c = c + 1u) {
      let cnt = cat_count[c];
      coverage = coverage + select(0u, 1u, cnt > 0u);
      let pc = history[user * kc + c];
      if (pc > 0.0) {
        let qt = keep * (f32(cnt) / total) + a * pc;
        kl = kl + pc * (log(pc) - log(qt));
      }
    }
    per_user[point * params.users + user] = vec4<f32>(ndcg, ild, f32(coverage), kl);
  }
}

@compute @workgroup_size(256)
fn mean_metrics(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let point = wg.x;
  let lid = lid3.x;
  var s = vec4<f32>(0.0);
  for (var u = lid; u < params.users; u = u + MEAN_WG) {
    s = s + per_user[point * params.users + u];
  }
  red4[lid] = s;
  workgroupBarrier();
  for (var k = MEAN_WG / 2u; k > 0u; k = k >> 1u) {
    if (lid < k) {
      red4[lid] = red4[lid] + red4[lid + k];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    mean[point] = red4[0] / f32(params.users);
  }
}
