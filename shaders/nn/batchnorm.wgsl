// BatchNorm1d over x [rows, channels], one workgroup per channel (bn_forward) or one invocation per channel
// (bn_forward_serial, for software adapters). Joined after moments.wgsl, channel_stats.wgsl and
// act_fns.wgsl. Train mode: μ, σ² (biased) from the batch; running stats r ← (1 − m)·r + m·stat with the
// unbiased variance (PyTorch). Eval mode: the running statistics. x̂ = (x − μ)/√(σ² + ε), y = γ x̂ + β,
// and with p.act = kind + 1 the activation too, a = f(y), in the same pass (p.act = 0: none).
// affine = [γ | β] (2·channels). stats[3c..3c+2] = (μ, σ², 1/√(σ² + ε)) as used — the backward reads them.

struct Params {
  rows: u32,
  channels: u32,
  train: u32,
  update_running: u32,
  momentum: f32,
  eps: f32,
  act: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> affine: array<f32>;
@group(0) @binding(3) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> xhat: array<f32>;
@group(0) @binding(7) var<storage, read_write> stats: array<f32>;
@group(0) @binding(8) var<storage, read_write> act_out: array<f32>;

var<workgroup> used: vec2f;

// Train mode: the batch statistics (and the running-stat update); returns (μ, biased σ²).
fn batch_stats(c: u32, m: Moments) -> vec2f {
  let var_b = m.m2 / m.n;
  if (p.update_running != 0u) {
    let var_u = select(var_b, m.m2 / (m.n - 1.0), m.n > 1.0);
    running_mean[c] = (1.0 - p.momentum) * running_mean[c] + p.momentum * m.mean;
    running_var[c] = (1.0 - p.momentum) * running_var[c] + p.momentum * var_u;
  }
  return vec2f(m.mean, var_b);
}

// Normalises (and activates) rows first, first + stride, … of channel c with (μ, σ²) = s; row 0's writer
// stores the stats.
fn normalize(c: u32, s: vec2f, first: u32, stride: u32) {
  let mean = s.x;
  let inv_std = inverseSqrt(s.y + p.eps);
  if (first == 0u) {
    stats[3u * c] = mean;
    stats[3u * c + 1u] = s.y;
    stats[3u * c + 2u] = inv_std;
  }
  let g = affine[c];
  let b = affine[p.channels + c];
  for (var r = first; r < p.rows; r += stride) {
    let i = r * p.channels + c;
    let h = (x[i] - mean) * inv_std;
    xhat[i] = h;
    let v = g * h + b;
    y[i] = v;
    if (p.act != 0u) {
      act_out[i] = act_f(p.act - 1u, v);
    }
  }
}

// One workgroup per channel (GPUs).
@compute @workgroup_size(64)
fn bn_forward(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = wg.x;
  if (p.train != 0u) {
    let m = reduce_channel(c, lid.x, p.rows, p.channels);
    if (lid.x == 0u) {
      used = batch_stats(c, m);
    }
  } else if (lid.x == 0u) {
    used = vec2f(running_mean[c], running_var[c]);
  }
  workgroupBarrier();
  normalize(c, used, lid.x, WG);
}

// One invocation per channel, no barriers (software adapters).
@compute @workgroup_size(64)
fn bn_forward_serial(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= p.channels) {
    return;
  }
  var s = vec2f(running_mean[c], running_var[c]);
  if (p.train != 0u) {
    s = batch_stats(c, reduce_column(c, p.rows, p.channels));
  }
  normalize(c, s, 0u, 1u);
}
