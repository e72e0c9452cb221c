// The fused attention kernels' interface, shared by both families (fused.wgsl for software adapters,
// flash.wgsl for GPUs): Params, the nine bindings, the mask test of one (query, key) pair, and the pooled-map
// partials (pool_*: written only when pool_out_cols > 0; reduced by pool_reduce.wgsl).
// Layouts: q, k, v, out [heads][len][dim]; bias as in scores.wgsl; stats [heads][len][2];
// partials [heads][pool_rows][pool_out_cols][2] = (max logit, Σ exp(logit − that max)) over the keys of one
// pool column (cells as in pool.wgsl), (MASKED, 0) where the column keeps no key of that row.
// Joined after mask.wgsl, before the family's kernel.

struct Params {
  heads: u32,
  len: u32,
  dim: u32,
  scale: f32,
  mask_kind: u32,
  mask_param: u32,
  row_words: u32,
  bias_mode: u32,
  pool_row0: u32,
  pool_rows: u32,
  pool_col0: u32,
  pool_cols: u32,
  pool_out_cols: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q_in: array<f32>;
@group(0) @binding(2) var<storage, read> k_in: array<f32>;
@group(0) @binding(3) var<storage, read> v_in: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> mask_bits: array<u32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read_write> stats: array<f32>;
@group(0) @binding(8) var<storage, read_write> partials: array<f32>;

// Keys [x, y) of pool column c: col0 + ⌊c·cols/n⌋ … col0 + ⌊(c+1)·cols/n⌋ (pool.wgsl's cell_range).
fn pool_col_keys(c: u32) -> vec2<u32> {
  let n = params.pool_out_cols;
  let cols = params.pool_cols;
  return vec2<u32>(params.pool_col0 + (c * cols) / n, params.pool_col0 + ((c + 1u) * cols) / n);
}

// The pool column holding key k (col0 ≤ k < col0 + cols): the largest c with ⌊c·cols/n⌋ ≤ k − col0.
fn pool_col_of(k: u32) -> u32 {
  return ((k - params.pool_col0 + 1u) * params.pool_out_cols - 1u) / params.pool_cols;
}

// Pool columns [x, y] overlapping keys [a, b) (x > y when none do).
fn pool_cols_in(a: u32, b: u32) -> vec2<u32> {
  let lo = max(a, params.pool_col0);
  let hi = min(b, params.pool_col0 + params.pool_cols);
  if (lo >= hi) {
    return vec2<u32>(1u, 0u);
  }
  return vec2<u32>(pool_col_of(lo), pool_col_of(hi - 1u));
}

fn pool_row_in(q: u32) -> bool {
  return q < params.len && q >= params.pool_row0 && q < params.pool_row0 + params.pool_rows;
}

fn pool_index(h: u32, q: u32, c: u32) -> u32 {
  return ((h * params.pool_rows + q - params.pool_row0) * params.pool_out_cols + c) * 2u;
}

// Stores the partial (mx, s) of (h, q, c), or merges it into the one stored at an earlier key tile of the
// same column (always by the same invocation: program order makes its own store visible).
fn pool_put(h: u32, q: u32, c: u32, mx: f32, s: f32, fresh: bool) {
  let i = pool_index(h, q, c);
  if (fresh) {
    partials[i] = mx;
    partials[i + 1u] = s;
    return;
  }
  let m0 = partials[i];
  let s0 = partials[i + 1u];
  if (!(s > 0.0)) {
    return;
  }
  if (!(s0 > 0.0)) {
    partials[i] = mx;
    partials[i + 1u] = s;
    return;
  }
  let mm = max(m0, mx);
  partials[i] = mm;
  partials[i + 1u] = s0 * exp(m0 - mm) + s * exp(mx - mm);
}

// (MASKED, 0) for every pool column of rows q0 … q0 + nq − 1 that no visited key tile [k_lo, k_hi) overlaps
// (the tile loops write all the others). Invocation t of `threads` takes every threads-th entry.
fn pool_clear_unvisited(h: u32, q0: u32, nq: u32, k_lo: u32, k_hi: u32, t: u32, threads: u32) {
  let n = params.pool_out_cols;
  let seen = pool_cols_in(k_lo, k_hi);
  for (var e = t; e < nq * n; e = e + threads) {
    let q = q0 + e / n;
    let c = e % n;
    if (pool_row_in(q) && (c < seen.x || c > seen.y)) {
      let i = pool_index(h, q, c);
      partials[i] = MASKED;
      partials[i + 1u] = 0.0;
    }
  }
}
