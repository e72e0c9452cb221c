// A linear denoiser x̂₀ = A x_t + b, ε̂ = (x_t − √ᾱ x̂₀)/√(1 − ᾱ): the exact denoiser of Gaussian data N(μ, Σ),
// A = √ᾱ Σ(ᾱΣ + (1 − ᾱ)I)⁻¹ and b = μ − √ᾱ A μ, computed in float64 on the CPU per noise level
// (gaussianAffine in src/kernels/diffusion/diffusion.ref.ts). `affine` holds A row-major (dim × dim) then b.
// One thread per particle.

struct Params {
  count: u32,
  dim: u32,
  threads_per_row: u32,
  _pad0: u32,
  sqrt_ab: f32,
  inv_sqrt_one_minus_ab: f32,
  _pad1: f32,
  _pad2: f32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xt: array<f32>;
@group(0) @binding(2) var<storage, read> affine: array<f32>;
@group(0) @binding(3) var<storage, read_write> x0_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> eps_out: array<f32>;

@compute @workgroup_size(64)
fn denoise_affine(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x + gid.y * params.threads_per_row;
  if (q >= params.count) {
    return;
  }
  let dim = params.dim;
  let row = q * dim;
  let b = dim * dim;
  for (var i = 0u; i < dim; i = i + 1u) {
    var v = affine[b + i];
    for (var j = 0u; j < dim; j = j + 1u) {
      v = v + affine[i * dim + j] * xt[row + j];
    }
    x0_out[row + i] = v;
    eps_out[row + i] = (xt[row + i] - params.sqrt_ab * v) * params.inv_sqrt_one_minus_ab;
  }
}
