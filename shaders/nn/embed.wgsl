// Sinusoidal embedding (no parameters, so no backward): every scalar v of a row's (x_1 … x_dim, λ) becomes
// 2F features sin(2π·turns_k), cos(2π·turns_k) with turns_k = v·scale_k, scale_k = s·ω_k/(2π) taken from
// `turns` (first F entries for coordinates, next F for λ). Row r's features are out[r·E + d·2F + k] (sin) and
// out[r·E + d·2F + F + k] (cos), E = 2F(dim + 1): the layout of embed() in src/models/mlp-denoiser.ts.
// As in shaders/diffusion/mlp.wgsl, the argument is reduced as turns − round(turns) before
// cos_sin_turns (joined in front from shaders/common/box_muller.wgsl), so a large argument loses
// nothing beyond the one rounding of `turns`. One thread per (row, scalar).

struct Params {
  rows: u32,
  dim: u32,
  freqs: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> log_snr: array<f32>;
@group(0) @binding(3) var<storage, read> turns: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn embed(@builtin(global_invocation_id) gid: vec3u) {
  let scalars = p.dim + 1u;
  let i = gid.x;
  if (i >= p.rows * scalars) {
    return;
  }
  let r = i / scalars;
  let d = i % scalars;
  var v = 0.0;
  var table = 0u;
  if (d < p.dim) {
    v = x[r * p.dim + d];
  } else {
    v = log_snr[r];
    table = p.freqs;
  }
  let base = r * scalars * 2u * p.freqs + d * 2u * p.freqs;
  for (var k = 0u; k < p.freqs; k++) {
    let t = v * turns[table + k];
    let cs = cos_sin_turns(t - round(t));
    out[base + k] = cs.y;
    out[base + p.freqs + k] = cs.x;
  }
}
