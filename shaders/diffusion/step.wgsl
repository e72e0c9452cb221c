// One sampler update, the same for every sampler (philox.wgsl and noise.wgsl are joined in front):
//   out = cx·x + cx0·x̂₀ + ceps·ε̂ + caux·aux + sigma·z   (aux: a fourth input; Heun's corrector uses it),
// coefficients computed in float64 on the CPU (planStep in src/kernels/diffusion/diffusion.ref.ts) and
// rounded to f32 once. Terms with a zero coefficient are skipped (their buffers are not read), so a step may
// bind any buffer there. z comes from key (seed, stream) with counter (i, step, block, 0).
// One thread per (particle, block of four components). `out` must not alias an input.

struct Params {
  count: u32,
  dim: u32,
  threads_per_row: u32,
  step: u32,
  key0: u32,
  key1: u32,
  _pad0: u32,
  _pad1: u32,
  cx: f32,
  cx0: f32,
  ceps: f32,
  caux: f32,
  sigma: f32,
  _pad2: f32,
  _pad3: f32,
  _pad4: f32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> x0: array<f32>;
@group(0) @binding(3) var<storage, read> eps: array<f32>;
@group(0) @binding(4) var<storage, read> aux: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn sampler_step(@builtin(global_invocation_id) gid: vec3<u32>) {
  let thread = gid.x + gid.y * params.threads_per_row;
  let blocks = (params.dim + 3u) / 4u;
  let i = thread / blocks;
  if (i >= params.count) {
    return;
  }
  let j = thread - i * blocks;
  var z = vec4<f32>(0.0);
  if (params.sigma != 0.0) {
    z = diffusion_normals(vec2<u32>(params.key0, params.key1), i, params.step, j);
  }
  for (var k = 0u; k < 4u; k = k + 1u) {
    let d = 4u * j + k;
    if (d < params.dim) {
      let o = i * params.dim + d;
      var v = 0.0;
      if (params.cx != 0.0) {
        v = v + params.cx * x[o];
      }
      if (params.cx0 != 0.0) {
        v = v + params.cx0 * x0[o];
      }
      if (params.ceps != 0.0) {
        v = v + params.ceps * eps[o];
      }
      if (params.caux != 0.0) {
        v = v + params.caux * aux[o];
      }
      if (params.sigma != 0.0) {
        v = v + params.sigma * z[k];
      }
      out[o] = v;
    }
  }
}
