// The exact denoiser of the empirical data for low dimensions (DIM ≤ 8), one thread per particle.
// shaders/common/online_softmax.wgsl is joined in front, and a header defining `const DIM: u32` (the
// dimension, baked in so the per-thread arrays live in registers).
//
// E[x₀ | x_t] = Σ_i softmax_i(ℓ) x_i with ℓ_i = −‖x_t − √ᾱ x_i‖² / (2(1 − ᾱ)): attention with x_t as the query
// and the data as keys and values, computed in one pass with the shared online softmax (running max and
// sum, accumulator rescaled by alpha = exp(m_old − m_new)). The data are streamed through workgroup memory
// in tiles of TILE points, loaded cooperatively by the workgroup. Outputs x̂₀ and
// ε̂ = (x_t − √ᾱ x̂₀)/√(1 − ᾱ). Reference: exactDenoiserReference in src/kernels/diffusion/diffusion.ref.ts.

struct Params {
  count: u32,
  data_count: u32,
  threads_per_row: u32,
  _pad0: u32,
  sqrt_ab: f32,
  inv_two_var: f32,
  inv_sqrt_one_minus_ab: f32,
  _pad1: f32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xt: array<f32>;
@group(0) @binding(2) var<storage, read> data: array<f32>;
@group(0) @binding(3) var<storage, read_write> x0_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> eps_out: array<f32>;

const WG: u32 = 64u;
const TILE: u32 = 256u;
var<workgroup> tile: array<f32, TILE * DIM>;

@compute @workgroup_size(WG)
fn denoise_points(@builtin(global_invocation_id) gid: vec3<u32>,
                  @builtin(local_invocation_index) lid: u32) {
  let q = gid.x + gid.y * params.threads_per_row;
  let live = q < params.count;
  var x: array<f32, DIM>;
  var acc: array<f32, DIM>;
  for (var d = 0u; d < DIM; d = d + 1u) {
    acc[d] = 0.0;
    x[d] = 0.0;
    if (live) {
      x[d] = xt[q * DIM + d];
    }
  }
  let s = params.sqrt_ab;
  var state = softmax_state_new();
  for (var base = 0u; base < params.data_count; base = base + TILE) {
    let n_tile = min(TILE, params.data_count - base);
    workgroupBarrier();
    for (var k = lid; k < n_tile * DIM; k = k + WG) {
      tile[k] = data[base * DIM + k];
    }
    workgroupBarrier();
    if (live) {
      for (var j = 0u; j < n_tile; j = j + 1u) {
        var d2 = 0.0;
        for (var d = 0u; d < DIM; d = d + 1u) {
          let diff = x[d] - s * tile[j * DIM + d];
          d2 = d2 + diff * diff;
        }
        let f = softmax_push(&state, -d2 * params.inv_two_var);
        for (var d = 0u; d < DIM; d = d + 1u) {
          acc[d] = acc[d] * f.x + f.y * tile[j * DIM + d];
        }
      }
    }
  }
  if (!live) {
    return;
  }
  let inv = softmax_inv_sum(state);
  for (var d = 0u; d < DIM; d = d + 1u) {
    let v = acc[d] * inv;
    x0_out[q * DIM + d] = v;
    eps_out[q * DIM + d] = (x[d] - s * v) * params.inv_sqrt_one_minus_ab;
  }
}
