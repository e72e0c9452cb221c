// The pooled attention map from the fused pass's partials (fused_io.wgsl), without recomputing Q Kᵀ: for
// query row i and pool column C the partial (x_iC, s_iC) = (max logit, Σ_{j∈C} exp(x_ij − x_iC)), so with the
// final row stats (m_i, l_i)
//   max_{j∈C} w_ij = exp(x_iC − m_i) / l_i,   Σ_{j∈C} w_ij = s_iC · exp(x_iC − m_i) / l_i.
// A cell (rows R, columns C, as in pool.wgsl) is max_i of the first (0 when nothing is kept) or
// Σ_i of the second / (|R|·|C|): masked weights are 0 and count in the mean, fully-masked rows (l = 0) give 0,
// exactly like weights_pool.wgsl. The partials' column cells must be this map's (same col0, cols, out_cols);
// their rows prow0 … prow0 + prows − 1 must cover the rectangle's rows.
// Dispatch (⌈out_cols/16⌉, ⌈out_rows/16⌉, heads).

struct Params {
  heads: u32,
  len: u32,
  row0: u32,
  col0: u32,
  rows: u32,
  cols: u32,
  out_rows: u32,
  out_cols: u32,
  mode: u32,  // 0 max, 1 mean
  prow0: u32,
  prows: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> partials: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(16, 16, 1)
fn pool_reduce(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let r = gid.y;
  let h = gid.z;
  if (c >= params.out_cols || r >= params.out_rows) {
    return;
  }
  let rr = cell_range(r, params.out_rows, params.row0, params.rows);
  let cr = cell_range(c, params.out_cols, params.col0, params.cols);
  var m = 0.0;
  var total = 0.0;
  for (var i = rr.x; i < rr.y; i = i + 1u) {
    let row = h * params.len + i;
    let row_max = stats[row * 2u];
    let row_sum = stats[row * 2u + 1u];
    let p = ((h * params.prows + i - params.prow0) * params.out_cols + c) * 2u;
    let s = partials[p + 1u];
    if (row_sum > 0.0 && s > 0.0) {
      let w = exp(min(partials[p] - row_max, 0.0)) * (1.0 / row_sum);
      m = max(m, w);
      total = total + s * w;
    }
  }
  var result = m;
  if (params.mode == 1u) {
    result = total / f32((rr.y - rr.x) * (cr.y - cr.x));
  }
  out[(h * params.out_rows + r) * params.out_cols + c] = result;
}
