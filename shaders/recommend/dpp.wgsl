// Fast greedy DPP MAP (Chen, Zhang & Zhou 2018, Algorithm 1), joined after rerank_common.wgsl. Kernel
// L_ij = r_i·S_ij·r_j with S_ij = (1 + v_i·v_j)/2, S_ii = 1 (unit vectors), r_i = exp(α·(rel_i − max rel))
// (the top candidate has r = 1; r ≡ 1 exactly at α = 0). Each thread keeps its candidates' Cholesky rows c_i (≤ 64 entries) and d_i²; after pick j:
//   e_i = (L_ji − ⟨c_j, c_i⟩)/d_j,  c_i ← [c_i, e_i],  d_i² ← d_i² − e_i².
// Picks argmax d²; stops (NO_PICK, gain 0 for the rest of the list) when the best d² < ε. Dispatch (users, points).

const MAX_N: u32 = 64u;

var<workgroup> pick_c: array<f32, 64>;
var<workgroup> pick_dr: vec2<f32>;  // (d_j, r_j)

@compute @workgroup_size(256)
fn dpp(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let user = wg.x;
  let row = out_row(wg.y, user);
  let alpha = sweep[wg.y].y;
  let lid = lid3.x;
  let m = params.m;
  let n = params.n;
  var alive: array<bool, 2>;
  var rel: array<f32, 2>;
  var item: array<u32, 2>;
  var r: array<f32, 2>;
  var d2: array<f32, 2>;
  var c: array<array<f32, 64>, 2>;
  var top = NEG_BIG;
  for (var t = 0u; t < PER_THREAD; t = t + 1u) {
    let pos = lid + t * WG;
    alive[t] = pos < m;
    if (alive[t]) {
      rel[t] = relevance[user * m + pos];
      item[t] = items[user * m + pos];
      top = max(top, rel[t]);
    }
  }
  argmax_reduce(lid, top, 0u);
  top = workgroupUniformLoad(&red_g[0]);
  for (var t = 0u; t < PER_THREAD; t = t + 1u) {
    if (alive[t]) {
      r[t] = select(exp(alpha * (rel[t] - top)), 1.0, alpha == 0.0);
      d2[t] = r[t] * r[t];
    }
  }
  for (var k = 0u; k < n; k = k + 1u) {
    var best = NEG_BIG;
    var best_i = NO_PICK;
    for (var t = 0u; t < PER_THREAD; t = t + 1u) {
      if (alive[t] && ranks_before(d2[t], lid + t * WG, best, best_i)) {
        best = d2[t];
        best_i = lid + t * WG;
      }
    }
    argmax_reduce(lid, best, best_i);
    let pick = workgroupUniformLoad(&red_i[0]);
    let best_d2 = workgroupUniformLoad(&red_g[0]);
    if (best_d2 < params.epsilon) {
      for (var s = k + lid; s < n; s = s + WG) {
        picks[row + s] = NO_PICK;
        gains[row + s] = 0.0;
      }
      break;
    }
    if (lid == 0u) {
      picks[row + k] = pick;
      gains[row + k] = best_d2;
    }
    for (var t = 0u; t < PER_THREAD; t = t + 1u) {
      if (lid + t * WG == pick) {
        alive[t] = false;
        for (var a = 0u; a < k; a = a + 1u) {
          pick_c[a] = c[t][a];
        }
        pick_dr = vec2<f32>(sqrt(d2[t]), r[t]);
      }
    }
    load_pick(lid, user, pick);
    let dj = pick_dr.x;
    let rj = pick_dr.y;
    for (var t = 0u; t < PER_THREAD; t = t + 1u) {
      if (alive[t]) {
        var s = rj * ((1.0 + dot_with_pick(item[t])) * 0.5) * r[t];
        for (var a = 0u; a < k; a = a + 1u) {
          s = s - pick_c[a] * c[t][a];
        }
        let e = s / dj;
        c[t][k] = e;
        d2[t] = d2[t] - e * e;
      }
    }
  }
}
