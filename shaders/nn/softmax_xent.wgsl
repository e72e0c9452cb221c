// Softmax cross-entropy over logits [rows, classes] with integer labels. Per row (max-subtracted):
// loss = logsumexp(z) − z_label, dz = (softmax(z) − onehot)/rows (gradient of the batch mean loss).
// `xent_reduce` (one workgroup) writes result = (mean loss, accuracy).

struct Params {
  rows: u32,
  classes: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> result: array<f32>;

@compute @workgroup_size(64)
fn xent_rows(@builtin(global_invocation_id) gid: vec3u) {
  let r = gid.x;
  if (r >= p.rows) {
    return;
  }
  let base = r * p.classes;
  var mx = logits[base];
  var arg = 0u;
  for (var k = 1u; k < p.classes; k++) {
    if (logits[base + k] > mx) {
      mx = logits[base + k];
      arg = k;
    }
  }
  var se = 0.0;
  for (var k = 0u; k < p.classes; k++) {
    se += exp(logits[base + k] - mx);
  }
  let label = labels[r];
  row_loss[2u * r] = log(se) + mx - logits[base + label];
  row_loss[2u * r + 1u] = select(0.0, 1.0, arg == label);
  let inv_rows = 1.0 / f32(p.rows);
  for (var k = 0u; k < p.classes; k++) {
    let s = exp(logits[base + k] - mx) / se;
    dlogits[base + k] = (s - select(0.0, 1.0, k == label)) * inv_rows;
  }
}

var<workgroup> acc_loss: array<f32, 64>;
var<workgroup> acc_hits: array<f32, 64>;

@compute @workgroup_size(64)
fn xent_reduce(@builtin(local_invocation_id) lid: vec3u) {
  var l = 0.0;
  var h = 0.0;
  for (var r = lid.x; r < p.rows; r += 64u) {
    l += row_loss[2u * r];
    h += row_loss[2u * r + 1u];
  }
  acc_loss[lid.x] = l;
  acc_hits[lid.x] = h;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid.x < s) {
      acc_loss[lid.x] += acc_loss[lid.x + s];
      acc_hits[lid.x] += acc_hits[lid.x + s];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    result[0] = acc_loss[0] / f32(p.rows);
    result[1] = acc_hits[0] / f32(p.rows);
  }
}
