// Mean squared error over pred, want (the target) [rows, cols]: loss = Σ (pred − want)² / (rows·cols) (the mean over
// the batch and the outputs) and its gradient dpred = 2(pred − want)/(rows·cols).
// `mse_rows`: one thread per row writes row_loss[r] = Σ_c (pred − want)² and dpred for that row.
// `mse_reduce` (one workgroup): result[0] = mean loss, and result[1] += mean loss — a running sum over steps
// that the caller clears (clearBuffer) and reads when it wants the mean loss of several steps.

struct Params {
  rows: u32,
  cols: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> want: array<f32>;
@group(0) @binding(3) var<storage, read_write> dpred: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> result: array<f32>;

@compute @workgroup_size(64)
fn mse_rows(@builtin(global_invocation_id) gid: vec3u) {
  let r = gid.x;
  if (r >= p.rows) {
    return;
  }
  let scale = 2.0 / (f32(p.rows) * f32(p.cols));
  var s = 0.0;
  for (var c = 0u; c < p.cols; c++) {
    let i = r * p.cols + c;
    let d = pred[i] - want[i];
    s += d * d;
    dpred[i] = scale * d;
  }
  row_loss[r] = s;
}

var<workgroup> acc: array<f32, 64>;

@compute @workgroup_size(64)
fn mse_reduce(@builtin(local_invocation_id) lid: vec3u) {
  var s = 0.0;
  for (var r = lid.x; r < p.rows; r += 64u) {
    s += row_loss[r];
  }
  acc[lid.x] = s;
  workgroupBarrier();
  for (var k = 32u; k > 0u; k >>= 1u) {
    if (lid.x < k) {
      acc[lid.x] += acc[lid.x + k];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let loss = acc[0] / (f32(p.rows) * f32(p.cols));
    result[0] = loss;
    result[1] = result[1] + loss;
  }
}
