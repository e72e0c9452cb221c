// Fused attention (FlashAttention-style): out = softmax_row(mask(Q Kᵀ · scale + bias)) · V without ever
// storing an L×L matrix. One workgroup of 16×16 threads owns 16 queries of one head; it walks the key
// tiles the mask can keep (mask_key_range), 16 keys at a time:
//   1. S tile = Q tile · K tileᵀ, in 16-wide chunks of the head dimension through workgroup memory;
//   2. logits = S · scale + bias, masked pairs excluded (MASKED);
//   3. per query: tile max m_t and tile sum l_t = Σ exp(x − m_t); merged into the running (m, l) with
//      softmax_merge from shaders/common/online_softmax.wgsl, which also gives the rescale factors
//      fa (old accumulators) and fb (this tile's exp(x − m_t) terms);
//   4. acc = acc · fa + fb · Σ_j exp(x_j − m_t) V_j, V tile again in 16-wide chunks.
// At the end out = acc / l (0 for a fully-masked row: softmax_inv_sum) and stats = (m, l) per row, the
// same as the staged softmax's stats (logsumexp = m + log l). With pool_out_cols > 0, step 3 also writes the
// pooled-map partials (tile_sum_pooled). Thread (x = lane, y = query) keeps the
// output dims lane, lane + 16, … (D_CHUNKS of them, a constant the wrapper puts in front: ⌈dim/16⌉ rounded
// up to a power of two, so at most 16 for dim 256).
// Layouts: q, k, v, out [heads][len][dim]; bias as in scores.wgsl; stats [heads][len][2].
// Dispatch (⌈len/16⌉, heads). Joined after online_softmax.wgsl, mask.wgsl and fused_io.wgsl (Params,
// bindings, keeps).

const TILE: u32 = 16u;
var<workgroup> q_tile: array<array<f32, 17>, 16>;  // [query][dim in chunk]
var<workgroup> k_tile: array<array<f32, 17>, 16>;  // [dim in chunk][key]
var<workgroup> p_tile: array<array<f32, 17>, 16>;  // [query][key]: logits, then exp(x − m_t)
var<workgroup> v_tile: array<array<f32, 17>, 16>;  // [key][dim in chunk]

// The tile sum l_t of row `row` (logits in p_tile) as in step 3, while also taking the pooled-map partials of
// the pool columns ≡ lane (mod 16) in this tile (at most two: a 16-key tile meets at most 17 columns):
// (max logit, Σ exp(x − m_t) / exp(max − m_t)), merged across tiles (fused_io.wgsl).
fn tile_sum_pooled(h: u32, qi: u32, k0: u32, first: bool, m_t: f32, row: u32, lane: u32) -> f32 {
  let span = pool_cols_in(k0, min(k0 + TILE, params.len));
  let ca = span.x + (lane + TILE - span.x % TILE) % TILE;
  let cb = ca + TILE;
  var ka = vec2<u32>(0u);
  var kb = vec2<u32>(0u);
  if (ca <= span.y) {
    ka = pool_col_keys(ca);
  }
  if (cb <= span.y) {
    kb = pool_col_keys(cb);
  }
  var l_t = 0.0;
  var xa = MASKED;
  var xb = MASKED;
  var ea = 0.0;
  var eb = 0.0;
  var sa = 0.0;
  var sb = 0.0;
  if (m_t > MASKED) {
    for (var j = 0u; j < TILE; j = j + 1u) {
      let xj = p_tile[row][j];
      if (xj > MASKED) {
        let e = exp(xj - m_t);
        l_t = l_t + e;
        let k = k0 + j;
        if (k >= ka.x && k < ka.y) {
          xa = max(xa, xj);
          ea = max(ea, e);
          sa = sa + e;
        }
        if (k >= kb.x && k < kb.y) {
          xb = max(xb, xj);
          eb = max(eb, e);
          sb = sb + e;
        }
      }
    }
  }
  if (pool_row_in(qi)) {
    if (ca <= span.y) {
      let s = select(select(0.0, 1.0, xa > MASKED), sa / ea, ea > 0.0);
      pool_put(h, qi, ca, xa, s, first || ka.x >= k0);
    }
    if (cb <= span.y) {
      let s = select(select(0.0, 1.0, xb > MASKED), sb / eb, eb > 0.0);
      pool_put(h, qi, cb, xb, s, first || kb.x >= k0);
    }
  }
  return l_t;
}

@compute @workgroup_size(16, 16, 1)
fn fused(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let len = params.len;
  let dim = params.dim;
  let chunks = (dim + TILE - 1u) / TILE;
  let h = wg.y;
  let q0 = wg.x * TILE;
  let qi = q0 + lid.y;
  let lane = lid.x;
  let range = mask_key_range(params.mask_kind, params.mask_param, q0, min(q0 + TILE, len) - 1u, len);

  var acc: array<f32, D_CHUNKS>;
  for (var c = 0u; c < D_CHUNKS; c = c + 1u) {
    acc[c] = 0.0;
  }
  var state = softmax_state_new();
  let first_tile = range.x - range.x % TILE;
  let pooling = params.pool_out_cols > 0u;
  if (pooling) {
    let tiles = select(0u, (range.y - first_tile + TILE - 1u) / TILE, range.y > first_tile);
    let tiles_end = first_tile + tiles * TILE;
    pool_clear_unvisited(h, q0, TILE, first_tile, tiles_end, lid.y * TILE + lane, TILE * TILE);
  }

  for (var k0 = first_tile; k0 < range.y; k0 = k0 + TILE) {
    // 1. S tile.
    let k_row = k0 + lid.y;
    var s = 0.0;
    for (var c = 0u; c < chunks; c = c + 1u) {
      let col = c * TILE + lane;
      var qv = 0.0;
      var kv = 0.0;
      if (qi < len && col < dim) {
        qv = q_in[(h * len + qi) * dim + col];
      }
      if (k_row < len && col < dim) {
        kv = k_in[(h * len + k_row) * dim + col];
      }
      q_tile[lid.y][lane] = qv;
      k_tile[lane][lid.y] = kv;
      workgroupBarrier();
      for (var i = 0u; i < TILE; i = i + 1u) {
        s = s + q_tile[lid.y][i] * k_tile[i][lane];
      }
      workgroupBarrier();
    }
    // 2. Scaled, biased, masked logit of (qi, k0 + lane).
    let ki = k0 + lane;
    let kept = qi < len && ki < len && keeps(qi, ki);
    var x = s * params.scale;
    if (kept && params.bias_mode == 1u) {
      x = x + bias[qi * len + ki];
    } else if (kept && params.bias_mode == 2u) {
      x = x + bias[(h * len + qi) * len + ki];
    }
    x = select(MASKED, x, kept);
    p_tile[lid.y][lane] = x;
    workgroupBarrier();
    // 3. Tile max and sum for this query (every lane of the row computes the same values).
    var m_t = MASKED;
    for (var j = 0u; j < TILE; j = j + 1u) {
      m_t = max(m_t, p_tile[lid.y][j]);
    }
    var l_t = 0.0;
    if (pooling) {
      l_t = tile_sum_pooled(h, qi, k0, k0 == first_tile, m_t, lid.y, lane);
    } else if (m_t > MASKED) {
      for (var j = 0u; j < TILE; j = j + 1u) {
        let xj = p_tile[lid.y][j];
        if (xj > MASKED) {
          l_t = l_t + exp(xj - m_t);
        }
      }
    }
    workgroupBarrier();
    var p = 0.0;
    if (kept) {
      p = exp(x - m_t);
    }
    p_tile[lid.y][lane] = p;
    let f = softmax_merge(state, SoftmaxState(m_t, l_t));
    state = SoftmaxState(f.z, f.w);
    workgroupBarrier();
    // 4. Accumulate P · V.
    for (var c = 0u; c < chunks; c = c + 1u) {
      let col = c * TILE + lane;
      var vv = 0.0;
      if (k_row < len && col < dim) {
        vv = v_in[(h * len + k_row) * dim + col];
      }
      v_tile[lid.y][lane] = vv;
      workgroupBarrier();
      var t = 0.0;
      for (var j = 0u; j < TILE; j = j + 1u) {
        t = t + p_tile[lid.y][j] * v_tile[j][lane];
      }
      acc[c] = acc[c] * f.x + f.y * t;
      workgroupBarrier();
    }
  }

  if (qi >= len) {
    return;
  }
  let inv = softmax_inv_sum(state);
  for (var c = 0u; c < chunks; c = c + 1u) {
    let col = c * TILE + lane;
    if (col < dim) {
      out[(h * len + qi) * dim + col] = acc[c] * inv;
    }
  }
  if (lane == 0u) {
    let row = h * len + qi;
    stats[row * 2u] = state.m;
    stats[row * 2u + 1u] = state.l;
  }
}
