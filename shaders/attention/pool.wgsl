// Pools a rectangle of each head's [len][len] matrix (a staged stage buffer, usually the weights) down to
// [heads][out_rows][out_cols], so a long sequence's heatmap is read back at screen resolution.
// Output row r covers source rows row0 + ⌊r·rows/out_rows⌋ … row0 + ⌊(r+1)·rows/out_rows⌋ − 1 (never
// empty: out_rows ≤ rows); columns alike (poolCellRange in attention.ref.ts).
//   pool_max:  max over the cell (MASKED if every entry is masked).
//   pool_mean: mean over the cell's entries above MASKED (MASKED if none); row partial sums are added
//              per source row, then combined, to keep f32 rounding low.
//   window:    copies the rectangle at full resolution (out_rows = rows, out_cols = cols), for zoom/pan.
// Dispatch (⌈out_cols/16⌉, ⌈out_rows/16⌉, heads). Joined after mask.wgsl (for MASKED).

struct Params {
  heads: u32,
  len: u32,
  row0: u32,
  col0: u32,
  rows: u32,
  cols: u32,
  out_rows: u32,
  out_cols: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(16, 16, 1)
fn pool_max(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let r = gid.y;
  let h = gid.z;
  if (c >= params.out_cols || r >= params.out_rows) {
    return;
  }
  let rr = cell_range(r, params.out_rows, params.row0, params.rows);
  let cr = cell_range(c, params.out_cols, params.col0, params.cols);
  var m = MASKED;
  for (var i = rr.x; i < rr.y; i = i + 1u) {
    let base = (h * params.len + i) * params.len;
    for (var j = cr.x; j < cr.y; j = j + 1u) {
      m = max(m, src[base + j]);
    }
  }
  out[(h * params.out_rows + r) * params.out_cols + c] = m;
}

@compute @workgroup_size(16, 16, 1)
fn pool_mean(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let r = gid.y;
  let h = gid.z;
  if (c >= params.out_cols || r >= params.out_rows) {
    return;
  }
  let rr = cell_range(r, params.out_rows, params.row0, params.rows);
  let cr = cell_range(c, params.out_cols, params.col0, params.cols);
  var total = 0.0;
  var n = 0u;
  for (var i = rr.x; i < rr.y; i = i + 1u) {
    let base = (h * params.len + i) * params.len;
    var row_sum = 0.0;
    for (var j = cr.x; j < cr.y; j = j + 1u) {
      let x = src[base + j];
      if (x > MASKED) {
        row_sum = row_sum + x;
        n = n + 1u;
      }
    }
    total = total + row_sum;
  }
  var result = MASKED;
  if (n > 0u) {
    result = total / f32(n);
  }
  out[(h * params.out_rows + r) * params.out_cols + c] = result;
}

@compute @workgroup_size(16, 16, 1)
fn window(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let r = gid.y;
  let h = gid.z;
  if (c >= params.out_cols || r >= params.out_rows) {
    return;
  }
  out[(h * params.out_rows + r) * params.out_cols + c] =
    src[(h * params.len + params.row0 + r) * params.len + params.col0 + c];
}
