// BatchNorm1d over x [rows, channels], one workgroup per channel. Joined after moments.wgsl and
// channel_stats.wgsl. Train mode: μ, σ² (biased) from the batch; running stats r ← (1 − m)·r + m·stat with
// the unbiased variance (PyTorch). Eval mode: the running statistics. x̂ = (x − μ)/√(σ² + ε), y = γ x̂ + β.
// stats[3c..3c+2] = (μ, σ², 1/√(σ² + ε)) as used — the backward pass reads them.

struct Params {
  rows: u32,
  channels: u32,
  train: u32,
  update_running: u32,
  momentum: f32,
  eps: f32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<storage, read_write> xhat: array<f32>;
@group(0) @binding(8) var<storage, read_write> stats: array<f32>;

var<workgroup> used: vec2f;

@compute @workgroup_size(64)
fn bn_forward(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = wg.x;
  if (p.train != 0u) {
    let m = reduce_channel(c, lid.x, p.rows, p.channels);
    if (lid.x == 0u) {
      let mean = m.mean;
      let var_b = m.m2 / m.n;
      used = vec2f(mean, var_b);
      if (p.update_running != 0u) {
        let var_u = select(var_b, m.m2 / (m.n - 1.0), m.n > 1.0);
        running_mean[c] = (1.0 - p.momentum) * running_mean[c] + p.momentum * mean;
        running_var[c] = (1.0 - p.momentum) * running_var[c] + p.momentum * var_u;
      }
    }
  } else if (lid.x == 0u) {
    used = vec2f(running_mean[c], running_var[c]);
  }
  workgroupBarrier();
  let mean = used.x;
  let inv_std = inverseSqrt(used.y + p.eps);
  if (lid.x == 0u) {
    stats[3u * c] = mean;
    stats[3u * c + 1u] = used.y;
    stats[3u * c + 2u] = inv_std;
  }
  let g = gamma[c];
  let b = beta[c];
  for (var r = lid.x; r < p.rows; r += WG) {
    let i = r * p.channels + c;
    let h = (x[i] - mean) * inv_std;
    xhat[i] = h;
    y[i] = g * h + b;
  }
}
