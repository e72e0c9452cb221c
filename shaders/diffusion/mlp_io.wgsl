// What both ε-MLP kernels (mlp.wgsl, mlp_batched.wgsl) share: the uniform (MLP_PARAMS in
// src/kernels/diffusion/mlp.ts, same field order) and every binding but the weights (binding 2, whose element
// type differs: f32 for mlp.wgsl, repacked vec4 rows for mlp_batched.wgsl). Joined in front of either.

struct Params {
  count: u32,
  threads_per_row: u32,
  _pad0: u32,
  _pad1: u32,
  lambda: f32,
  sqrt_one_minus_ab: f32,
  inv_sqrt_ab: f32,
  clip: f32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xt: array<f32>;
@group(0) @binding(3) var<storage, read_write> x0_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> eps_out: array<f32>;
