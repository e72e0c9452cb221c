// BatchNorm1d backward, one workgroup per channel (bn_backward) or one invocation per channel
// (bn_backward_serial, for software adapters). Joined after act_fns.wgsl. With p.act = kind + 1 the
// activation's derivative is fused in front: dy is the gradient of a = f(y) and g = dy·f'(y) that of the BN
// output y (p.act = 0: g = dy). dβ = Σ g, dγ = Σ g·x̂; train: dx = γ·inv_std/N · (N·g − dβ − x̂·dγ); eval
// (running stats are constants): dx = γ·inv_std·g. affine = [γ | β]; daffine = [dγ | dβ].

struct Params {
  rows: u32,
  channels: u32,
  train: u32,
  act: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> xhat: array<f32>;
@group(0) @binding(4) var<storage, read> affine: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> daffine: array<f32>;

const WG: u32 = 64u;
var<workgroup> sum_dy: array<f32, 64>;
var<workgroup> sum_dy_xhat: array<f32, 64>;

// The gradient of the BN output at i: dy, through the activation's derivative when fused.
fn grad_y(i: u32) -> f32 {
  if (p.act != 0u) {
    return dy[i] * act_df(p.act - 1u, y[i]);
  }
  return dy[i];
}

// dx of rows first, first + stride, … of channel c, given dβ = db and dγ = dg.
fn write_dx(c: u32, db: f32, dg: f32, first: u32, stride: u32) {
  if (first == 0u) {
    daffine[c] = dg;
    daffine[p.channels + c] = db;
  }
  let scale = affine[c] * stats[3u * c + 2u];
  let n = f32(p.rows);
  for (var r = first; r < p.rows; r += stride) {
    let i = r * p.channels + c;
    let g = grad_y(i);
    if (p.train != 0u) {
      dx[i] = scale / n * (n * g - db - xhat[i] * dg);
    } else {
      dx[i] = scale * g;
    }
  }
}

// One workgroup per channel (GPUs).
@compute @workgroup_size(64)
fn bn_backward(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = wg.x;
  var s0 = 0.0;
  var s1 = 0.0;
  for (var r = lid.x; r < p.rows; r += WG) {
    let i = r * p.channels + c;
    let g = grad_y(i);
    s0 += g;
    s1 += g * xhat[i];
  }
  sum_dy[lid.x] = s0;
  sum_dy_xhat[lid.x] = s1;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid.x < s) {
      sum_dy[lid.x] += sum_dy[lid.x + s];
      sum_dy_xhat[lid.x] += sum_dy_xhat[lid.x + s];
    }
    workgroupBarrier();
  }
  write_dx(c, sum_dy[0], sum_dy_xhat[0], lid.x, WG);
}

// One invocation per channel, no barriers (software adapters): the two sums run down the column in order
// (recursive summation, error ≤ (N − 1)·2⁻²⁴·Σ|terms|, within the same bound as the tree).
@compute @workgroup_size(64)
fn bn_backward_serial(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= p.channels) {
    return;
  }
  var s0 = 0.0;
  var s1 = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    let i = r * p.channels + c;
    let g = grad_y(i);
    s0 += g;
    s1 += g * xhat[i];
  }
  write_dx(c, s0, s1, 0u, 1u);
}
