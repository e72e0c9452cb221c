// Fused attention for GPUs, in the FlashAttention-2 manner (issue #15): out = softmax_row(mask(Q Kᵀ · scale
// + bias)) · V without an L×L matrix. Same bindings, Params and results as fused.wgsl (the software-adapter
// family), another work split:
// - a workgroup of 256 invocations owns 64 queries of one head (BQ) and walks the key tiles of 32 keys (BK)
//   the mask can keep (mask_key_range: causal tiles above the diagonal are never visited);
// - invocation (ty, tx) = (index / 16, index % 16) holds a register block of 4 queries × 2 keys of scores
//   (queries 4·ty…4·ty+3, keys 2·tx, 2·tx+1 of the tile) and 4 queries × D_CHUNKS output dims (tx, tx+16, …);
// - Q and K go through workgroup memory 16 head dims at a time, transposed so that the 4 queries of an
//   invocation are adjacent: 8 loads feed 8 multiply-adds per dim;
// - online softmax with one exp per score: the running row max m is updated first (tile max reduced through
//   workgroup memory), then p = exp(x − m_new); the rescale exp(m_old − m_new) is one exp per row and tile;
//   each invocation keeps its partial row sum, reduced once at the end;
// - P goes to workgroup memory [key][query] and P · V takes V 16 dims at a time.
// All of it in 16 KiB of workgroup memory (the WebGPU default limit): one array with regions that are reused
// (QS and RED alias; see the offsets). Fully-masked rows give 0 output and stats (MASKED, 0) as fused.wgsl.
// With pool_out_cols > 0, after P · V each invocation sums PS over the keys of its pool columns (those ≡ tx
// mod 16) for its 4 queries: partial (m_new + log max p, Σ p / max p), merged across tiles (fused_io.wgsl).
// Layouts: q, k, v, out [heads][len][dim]; bias as in scores.wgsl; stats [heads][len][2].
// Dispatch (⌈len/64⌉, heads). Joined after mask.wgsl and fused_io.wgsl (Params, bindings, keeps), with
// D_CHUNKS (4 for dim ≤ 64, else 16).

const BQ: u32 = 64u;
const BK: u32 = 32u;
const DC: u32 = 16u;
// Workgroup memory (4096 f32 = 16 KiB): QS [DC][BQ] at 0, KS [DC][BK] at 1024, RED [BQ][16] at 0 (after the
// scores, QS is free), PS [BK][BQ] at 1536, VS [BK][DC] at 3584.
const QS: u32 = 0u;
const KS: u32 = 1024u;
const RED: u32 = 0u;
const PS: u32 = 1536u;
const VS: u32 = 3584u;
var<workgroup> smem: array<f32, 4096>;

// The scaled, biased logit of (q, k), or MASKED when the pair is out of range or masked.
fn logit(h: u32, q: u32, k: u32, s: f32) -> f32 {
  let len = params.len;
  if (q >= len || k >= len || !keeps(q, k)) {
    return MASKED;
  }
  var x = s * params.scale;
  if (params.bias_mode == 1u) {
    x = x + bias[q * len + k];
  } else if (params.bias_mode == 2u) {
    x = x + bias[(h * len + q) * len + k];
  }
  return x;
}

// Sum (or max) of the 16 partials of query row `row` in RED.
fn row_max(row: u32) -> f32 {
  var m = MASKED;
  for (var j = 0u; j < 16u; j = j + 1u) {
    m = max(m, smem[RED + row * 16u + j]);
  }
  return m;
}

fn row_sum(row: u32) -> f32 {
  var s = 0.0;
  for (var j = 0u; j < 16u; j = j + 1u) {
    s = s + smem[RED + row * 16u + j];
  }
  return s;
}

// Partials of queries q…q+3 (local rows from q − q0) for the pool columns ≡ tx (mod 16) in key tile k0.
fn pool_tile(h: u32, q: u32, tx: u32, k0: u32, first: bool, m: vec4<f32>) {
  let span = pool_cols_in(k0, min(k0 + BK, params.len));
  let lr = q % BQ;
  for (var c = span.x + (tx + 16u - span.x % 16u) % 16u; c <= span.y; c = c + 16u) {
    let keys = pool_col_keys(c);
    var pmax = vec4<f32>(0.0);
    var psum = vec4<f32>(0.0);
    for (var j = max(keys.x, k0); j < min(keys.y, k0 + BK); j = j + 1u) {
      let o = PS + (j - k0) * BQ + lr;
      let p4 = vec4<f32>(smem[o], smem[o + 1u], smem[o + 2u], smem[o + 3u]);
      pmax = max(pmax, p4);
      psum = psum + p4;
    }
    let fresh = first || keys.x >= k0;
    for (var r = 0u; r < 4u; r = r + 1u) {
      if (pool_row_in(q + r)) {
        let kept = pmax[r] > 0.0;
        let mx = select(MASKED, m[r] + log(pmax[r]), kept);
        pool_put(h, q + r, c, mx, select(0.0, psum[r] / pmax[r], kept), fresh);
      }
    }
  }
}

@compute @workgroup_size(256, 1, 1)
fn flash(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let len = params.len;
  let dim = params.dim;
  let chunks = (dim + DC - 1u) / DC;
  let h = wg.y;
  let q0 = wg.x * BQ;
  let ty = t / 16u;
  let tx = t % 16u;
  let base = h * len;
  let range = mask_key_range(params.mask_kind, params.mask_param, q0, min(q0 + BQ, len) - 1u, len);

  var acc: array<vec4<f32>, D_CHUNKS>;
  for (var c = 0u; c < D_CHUNKS; c = c + 1u) {
    acc[c] = vec4<f32>(0.0);
  }
  var m = vec4<f32>(MASKED);
  var lp = vec4<f32>(0.0);
  let first_tile = range.x - range.x % BK;
  let pooling = params.pool_out_cols > 0u;
  if (pooling) {
    let tiles = select(0u, (range.y - first_tile + BK - 1u) / BK, range.y > first_tile);
    let tiles_end = first_tile + tiles * BK;
    pool_clear_unvisited(h, q0, BQ, first_tile, tiles_end, t, 256u);
  }

  for (var k0 = first_tile; k0 < range.y; k0 = k0 + BK) {
    // 1. Scores of 4 queries × 2 keys, 16 head dims at a time.
    var sa = vec4<f32>(0.0);
    var sb = vec4<f32>(0.0);
    for (var c = 0u; c < chunks; c = c + 1u) {
      for (var e = 0u; e < 4u; e = e + 1u) {
        let idx = t + e * 256u;
        let i = idx % DC;
        let qq = idx / DC;
        let col = c * DC + i;
        var qv = 0.0;
        if (q0 + qq < len && col < dim) {
          qv = q_in[(base + q0 + qq) * dim + col];
        }
        smem[QS + i * BQ + qq] = qv;
      }
      for (var e = 0u; e < 2u; e = e + 1u) {
        let idx = t + e * 256u;
        let i = idx % DC;
        let kk = idx / DC;
        let col = c * DC + i;
        var kv = 0.0;
        if (k0 + kk < len && col < dim) {
          kv = k_in[(base + k0 + kk) * dim + col];
        }
        smem[KS + i * BK + kk] = kv;
      }
      workgroupBarrier();
      for (var i = 0u; i < DC; i = i + 1u) {
        let o = QS + i * BQ + ty * 4u;
        let q4 = vec4<f32>(smem[o], smem[o + 1u], smem[o + 2u], smem[o + 3u]);
        sa = sa + q4 * smem[KS + i * BK + tx * 2u];
        sb = sb + q4 * smem[KS + i * BK + tx * 2u + 1u];
      }
      workgroupBarrier();
    }

    // 2. Logits, and this invocation's max of each query row.
    let ka = k0 + tx * 2u;
    var xa: vec4<f32>;
    var xb: vec4<f32>;
    for (var r = 0u; r < 4u; r = r + 1u) {
      let q = q0 + ty * 4u + r;
      xa[r] = logit(h, q, ka, sa[r]);
      xb[r] = logit(h, q, ka + 1u, sb[r]);
      smem[RED + (ty * 4u + r) * 16u + tx] = max(xa[r], xb[r]);
    }
    workgroupBarrier();

    // 3. Online softmax: the new running max first, then one exp per score.
    var pa: vec4<f32>;
    var pb: vec4<f32>;
    var alpha: vec4<f32>;
    for (var r = 0u; r < 4u; r = r + 1u) {
      let m_new = max(m[r], row_max(ty * 4u + r));
      alpha[r] = select(1.0, exp(m[r] - m_new), m[r] > MASKED);
      pa[r] = select(0.0, exp(xa[r] - m_new), xa[r] > MASKED);
      pb[r] = select(0.0, exp(xb[r] - m_new), xb[r] > MASKED);
      m[r] = m_new;
    }
    lp = lp * alpha + pa + pb;
    for (var c = 0u; c < D_CHUNKS; c = c + 1u) {
      acc[c] = acc[c] * alpha;
    }
    // PS is not RED's region, and its last readers passed the barrier that ended the previous tile.
    for (var r = 0u; r < 4u; r = r + 1u) {
      smem[PS + (tx * 2u) * BQ + ty * 4u + r] = pa[r];
      smem[PS + (tx * 2u + 1u) * BQ + ty * 4u + r] = pb[r];
    }

    // 4. acc += P · V, 16 dims at a time (dim tx of each chunk).
    for (var c = 0u; c < chunks; c = c + 1u) {
      for (var e = 0u; e < 2u; e = e + 1u) {
        let idx = t + e * 256u;
        let dd = idx % DC;
        let kk = idx / DC;
        let col = c * DC + dd;
        var vv = 0.0;
        if (k0 + kk < len && col < dim) {
          vv = v_in[(base + k0 + kk) * dim + col];
        }
        smem[VS + kk * DC + dd] = vv;
      }
      workgroupBarrier();
      var a = vec4<f32>(0.0);
      for (var j = 0u; j < BK; j = j + 1u) {
        let o = PS + j * BQ + ty * 4u;
        let p4 = vec4<f32>(smem[o], smem[o + 1u], smem[o + 2u], smem[o + 3u]);
        a = a + p4 * smem[VS + j * DC + tx];
      }
      acc[c] = acc[c] + a;
      workgroupBarrier();
    }
    // 5. Pooled-map partials from PS (its next writer comes after the next tile's barriers).
    if (pooling) {
      pool_tile(h, q0 + ty * 4u, tx, k0, k0 == first_tile, m);
    }
  }

  // Row sums from the 16 partials, then out = acc / l (0 for a fully-masked row) and stats (m, l).
  for (var r = 0u; r < 4u; r = r + 1u) {
    smem[RED + (ty * 4u + r) * 16u + tx] = lp[r];
  }
  workgroupBarrier();
  for (var r = 0u; r < 4u; r = r + 1u) {
    let q = q0 + ty * 4u + r;
    if (q >= len) {
      continue;
    }
    let l = row_sum(ty * 4u + r);
    let inv = select(0.0, 1.0 / l, l > 0.0);
    for (var c = 0u; c < chunks; c = c + 1u) {
      let col = c * DC + tx;
      if (col < dim) {
        out[(base + q) * dim + col] = acc[c][r] * inv;
      }
    }
    if (tx == 0u) {
      stats[(base + q) * 2u] = m[r];
      stats[(base + q) * 2u + 1u] = l;
    }
  }
}
