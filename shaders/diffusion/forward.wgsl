// Forward noising x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε for `count` particles of dimension `dim`
// (philox.wgsl and noise.wgsl are joined in front). Particle i's x₀ is source point i mod source_count.
// ε comes from key (seed, stream) with counter (i, 0, block, 0): the same ε at every t, so scrubbing t moves
// each particle along a straight line. One thread per (particle, block of four components).
// Reference: forwardReference in src/kernels/diffusion/diffusion.ref.ts.

struct Params {
  count: u32,
  dim: u32,
  source_count: u32,
  threads_per_row: u32,
  key0: u32,
  key1: u32,
  sqrt_ab: f32,
  sqrt_one_minus_ab: f32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> source: array<f32>;
@group(0) @binding(2) var<storage, read_write> xt: array<f32>;
@group(0) @binding(3) var<storage, read_write> eps: array<f32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let thread = gid.x + gid.y * params.threads_per_row;
  let blocks = (params.dim + 3u) / 4u;
  let i = thread / blocks;
  if (i >= params.count) {
    return;
  }
  let j = thread - i * blocks;
  let z = diffusion_normals(vec2<u32>(params.key0, params.key1), i, 0u, j);
  let src = (i % params.source_count) * params.dim;
  for (var k = 0u; k < 4u; k = k + 1u) {
    let d = 4u * j + k;
    if (d < params.dim) {
      let o = i * params.dim + d;
      xt[o] = params.sqrt_ab * source[src + d] + params.sqrt_one_minus_ab * z[k];
      eps[o] = z[k];
    }
  }
}
