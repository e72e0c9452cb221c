// MMR (Carbonell & Goldstein 1998), joined after rerank_common.wgsl: step k picks
//   argmax λ·rel(i) − (1 − λ)·max_{j∈S} v_i·v_j   (no penalty while S is empty),
// keeping each candidate's running max similarity. λ = 1 is relevance only. Dispatch (users, points).

@compute @workgroup_size(256)
fn mmr(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let user = wg.x;
  let row = out_row(wg.y, user);
  let lid = lid3.x;
  let m = params.m;
  let lambda = sweep[wg.y].x;
  let rest = 1.0 - lambda;
  var alive: array<bool, 2>;
  var rel: array<f32, 2>;
  var item: array<u32, 2>;
  var max_sim: array<f32, 2>;
  for (var t = 0u; t < PER_THREAD; t = t + 1u) {
    let pos = lid + t * WG;
    alive[t] = pos < m;
    if (alive[t]) {
      rel[t] = relevance[user * m + pos];
      item[t] = items[user * m + pos];
    }
    max_sim[t] = NEG_BIG;
  }
  for (var k = 0u; k < params.n; k = k + 1u) {
    var best = NEG_BIG;
    var best_i = NO_PICK;
    for (var t = 0u; t < PER_THREAD; t = t + 1u) {
      if (alive[t]) {
        let penalty = select(0.0, max_sim[t], k > 0u);
        let g = lambda * rel[t] - rest * penalty;
        if (ranks_before(g, lid + t * WG, best, best_i)) {
          best = g;
          best_i = lid + t * WG;
        }
      }
    }
    argmax_reduce(lid, best, best_i);
    let pick = publish_pick(lid, row + k);
    load_pick(lid, user, pick);
    for (var t = 0u; t < PER_THREAD; t = t + 1u) {
      if (lid + t * WG == pick) {
        alive[t] = false;
      }
      if (alive[t]) {
        max_sim[t] = max(max_sim[t], dot_with_pick(item[t]));
      }
    }
  }
}
