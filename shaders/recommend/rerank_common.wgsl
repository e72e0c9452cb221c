// Shared by the re-rankers (mmr.wgsl, dpp.wgsl, calibration.wgsl): one workgroup of 256 threads per
// (user, point), dispatch (users, points); thread t owns candidates t and t + 256. Bindings:
//   items      [users][m]  item id of each candidate (rows of embeddings / categories)
//   embeddings [items][32] unit vectors;  categories [items] (< k_categories)
//   relevance  [users][m]; history [users][k_categories] (p, calibration only)
//   picks      [points][users][n] candidate positions in pick order (NO_PICK after a DPP stop); gains alike
//   sweep      [points] (λ, α) of each point (a sweep of settings; a single run is points = 1)
// The argmax is a tree over the workgroup; ties go to the lowest candidate index.

struct Params {
  users: u32,
  m: u32,
  n: u32,
  k_categories: u32,
  points: u32,
  epsilon: f32,
  mix: f32,
  _pad: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> items: array<u32>;
@group(0) @binding(2) var<storage, read> embeddings: array<f32>;
@group(0) @binding(3) var<storage, read> categories: array<u32>;
@group(0) @binding(4) var<storage, read> relevance: array<f32>;
@group(0) @binding(5) var<storage, read> history: array<f32>;
@group(0) @binding(6) var<storage, read_write> picks: array<u32>;
@group(0) @binding(7) var<storage, read_write> gains: array<f32>;
@group(0) @binding(8) var<storage, read> sweep: array<vec2<f32>>;

const WG: u32 = 256u;
const PER_THREAD: u32 = 2u;
const DIM: u32 = 32u;

var<workgroup> red_g: array<f32, 256>;
var<workgroup> red_i: array<u32, 256>;
var<workgroup> pick_v: array<f32, 32>;

// Index of slot 0 of (point, user)'s list in picks and gains.
fn out_row(point: u32, user: u32) -> u32 {
  return (point * params.users + user) * params.n;
}

// Tree argmax of (g, i) over the workgroup; every thread must call it. The winner is in red_g[0], red_i[0].
fn argmax_reduce(lid: u32, g: f32, i: u32) {
  red_g[lid] = g;
  red_i[lid] = i;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      let og = red_g[lid + s];
      let oi = red_i[lid + s];
      if (ranks_before(og, oi, red_g[lid], red_i[lid])) {
        red_g[lid] = og;
        red_i[lid] = oi;
      }
    }
    workgroupBarrier();
  }
}

// v_item · pick_v, summed in dimension order.
fn dot_with_pick(item: u32) -> f32 {
  var s = 0.0;
  for (var c = 0u; c < DIM; c = c + 1u) {
    s = s + embeddings[item * DIM + c] * pick_v[c];
  }
  return s;
}

// Loads the picked candidate's embedding into pick_v (then a barrier).
fn load_pick(lid: u32, user: u32, pick: u32) {
  if (lid < DIM) {
    pick_v[lid] = embeddings[items[user * params.m + pick] * DIM + lid];
  }
  workgroupBarrier();
}

// After argmax_reduce: the winner's position, which thread 0 writes (with its gain) as list slot `slot`.
// Every thread must call it (it loads the winner for the whole workgroup).
fn publish_pick(lid: u32, slot: u32) -> u32 {
  let pick = workgroupUniformLoad(&red_i[0]);
  if (lid == 0u) {
    picks[slot] = pick;
    gains[slot] = red_g[0];
  }
  return pick;
}
