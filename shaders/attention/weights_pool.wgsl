// Pooled (or windowed) attention weights WITHOUT an L×L buffer, for the fused path: each output cell
// recomputes its weights from Q, K, the bias, the mask and the fused kernel's per-row stats (m, l):
//   w(q, k) = exp(q·k · scale + bias − m_q) / l_q   for kept pairs, exactly 0 for masked pairs and for
//   fully-masked rows (l_q = 0),
// then takes the max or the mean over the cell (cells as in pool.wgsl; masked weights are 0 and count in
// the mean, exactly like pooling the staged weights buffer). With out_rows = rows and out_cols = cols every
// cell is one entry: a full-resolution window. Cost per output cell: (cell area) · dim multiply-adds.
// Dispatch (⌈out_cols/16⌉, ⌈out_rows/16⌉, heads). Joined after mask.wgsl.

struct Params {
  heads: u32,
  len: u32,
  dim: u32,
  scale: f32,
  mask_kind: u32,
  mask_param: u32,
  row_words: u32,
  bias_mode: u32,
  row0: u32,
  col0: u32,
  rows: u32,
  cols: u32,
  out_rows: u32,
  out_cols: u32,
  mode: u32,  // 0 max, 1 mean
  _pad0: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q_in: array<f32>;
@group(0) @binding(2) var<storage, read> k_in: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> mask_bits: array<u32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(16, 16, 1)
fn weights_pool(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let r = gid.y;
  let h = gid.z;
  if (c >= params.out_cols || r >= params.out_rows) {
    return;
  }
  let len = params.len;
  let dim = params.dim;
  let rr = cell_range(r, params.out_rows, params.row0, params.rows);
  let cr = cell_range(c, params.out_cols, params.col0, params.cols);
  var m = 0.0;
  var total = 0.0;
  for (var i = rr.x; i < rr.y; i = i + 1u) {
    let row = h * len + i;
    let row_max = stats[row * 2u];
    let row_sum = stats[row * 2u + 1u];
    var row_total = 0.0;
    if (row_sum > 0.0) {
      let inv = 1.0 / row_sum;
      for (var j = cr.x; j < cr.y; j = j + 1u) {
        if (!keeps(i, j)) {
          continue;
        }
        var s = 0.0;
        let qo = row * dim;
        let ko = (h * len + j) * dim;
        for (var t = 0u; t < dim; t = t + 1u) {
          s = s + q_in[qo + t] * k_in[ko + t];
        }
        var x = s * params.scale;
        if (params.bias_mode == 1u) {
          x = x + bias[i * len + j];
        } else if (params.bias_mode == 2u) {
          x = x + bias[row * len + j];
        }
        let w = exp(min(x - row_max, 0.0)) * inv;
        m = max(m, w);
        row_total = row_total + w;
      }
    }
    total = total + row_total;
  }
  var result = m;
  if (params.mode == 1u) {
    result = total / f32((rr.y - rr.x) * (cr.y - cr.x));
  }
  out[(h * params.out_rows + r) * params.out_cols + c] = result;
}
