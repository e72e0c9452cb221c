// Calibration (Steck 2018), joined after rerank_common.wgsl: step k adds the candidate maximising
//   (1 − λ)·(Σ_S rel + rel_i) − λ·KL(p ‖ q̃),  q̃_c = (1 − a)·q_c + a·p_c,  q = category counts of S∪{i} / (k + 1),
// with KL = Σ_{p_c > 0} p_c·(log p_c − log q̃_c). The gain is that objective. Dispatch (users, points).

var<workgroup> counts: array<u32, 16>;
var<workgroup> p_hist: array<f32, 16>;

@compute @workgroup_size(256)
fn calibration(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let user = wg.x;
  let row = out_row(wg.y, user);
  let lid = lid3.x;
  let m = params.m;
  let kc = params.k_categories;
  let lambda = sweep[wg.y].x;
  let rest = 1.0 - lambda;
  let a = params.mix;
  let keep = 1.0 - a;
  if (lid < kc) {
    counts[lid] = 0u;
    p_hist[lid] = history[user * kc + lid];
  }
  workgroupBarrier();
  var alive: array<bool, 2>;
  var rel: array<f32, 2>;
  var cat: array<u32, 2>;
  for (var t = 0u; t < PER_THREAD; t = t + 1u) {
    let pos = lid + t * WG;
    alive[t] = pos < m;
    if (alive[t]) {
      rel[t] = relevance[user * m + pos];
      cat[t] = categories[items[user * m + pos]];
    }
  }
  var sum_rel = 0.0;
  for (var k = 0u; k < params.n; k = k + 1u) {
    let total = f32(k + 1u);
    var best = NEG_BIG;
    var best_i = NO_PICK;
    for (var t = 0u; t < PER_THREAD; t = t + 1u) {
      if (alive[t]) {
        var kl = 0.0;
        for (var c = 0u; c < kc; c = c + 1u) {
          let pc = p_hist[c];
          if (pc > 0.0) {
            let cnt = counts[c] + select(0u, 1u, c == cat[t]);
            let qt = keep * (f32(cnt) / total) + a * pc;
            kl = kl + pc * (log(pc) - log(qt));
          }
        }
        let g = rest * (sum_rel + rel[t]) - lambda * kl;
        if (ranks_before(g, lid + t * WG, best, best_i)) {
          best = g;
          best_i = lid + t * WG;
        }
      }
    }
    argmax_reduce(lid, best, best_i);
    let pick = publish_pick(lid, row + k);
    if (lid == 0u) {
      counts[categories[items[user * m + pick]]] += 1u;
    }
    sum_rel = sum_rel + relevance[user * m + pick];
    for (var t = 0u; t < PER_THREAD; t = t + 1u) {
      if (lid + t * WG == pick) {
        alive[t] = false;
      }
    }
    workgroupBarrier();
  }
}
