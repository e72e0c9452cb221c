// The ε-prediction MLP of src/models/mlp-denoiser.ts (its float64 forward is the reference), one thread per
// particle. philox.wgsl, box_muller.wgsl and noise.wgsl are joined in front (for cos_sin_turns), then a header
// defining the architecture: const DIM, HIDDEN, BLOCKS, FREQS, E (= 2·FREQS·(DIM + 1)) and two arrays of
// FREQS turns-per-unit factors, X_TURNS[k] = inputScale·ω_k/(2π) and L_TURNS[k] = ω_k/(2π).
//
// Embedding: sin/cos of ω_k·s·v for every coordinate v = x_d and for v = λ (the clipped log-SNR, a
// uniform), computed as cos/sin(2π·r) with r = turns − round(turns) so large arguments lose nothing beyond
// the one rounding of `turns`. Network: h = silu(W_in e + b_in); BLOCKS × (h ← h + silu(W h + b));
// ε̂ = W_out h + b_out. Weights are one storage array in the layout of parameterLayout().
// Outputs ε̂ and x̂₀ = clamp((x_t − √(1−ᾱ) ε̂)·inv_sqrt_ab, −clip, clip), inv_sqrt_ab = 1/max(√ᾱ, 1e-3).

// Params and bindings 0, 1, 3, 4: mlp_io.wgsl (joined in front).
@group(0) @binding(2) var<storage, read> weights: array<f32>;

const W_IN: u32 = 0u;
const B_IN: u32 = HIDDEN * E;
const BLOCK0: u32 = B_IN + HIDDEN;
const BLOCK_SIZE: u32 = HIDDEN * HIDDEN + HIDDEN;
const W_OUT: u32 = BLOCK0 + BLOCKS * BLOCK_SIZE;
const B_OUT: u32 = W_OUT + DIM * HIDDEN;

fn mlp_silu(a: f32) -> f32 {
  return a / (1.0 + exp(-a));
}

// (sin, cos) of 2π·turns.
fn mlp_sin_cos(turns: f32) -> vec2<f32> {
  let cs = cos_sin_turns(turns - round(turns));
  return vec2<f32>(cs.y, cs.x);
}

@compute @workgroup_size(64)
fn mlp_denoise(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x + gid.y * params.threads_per_row;
  if (q >= params.count) {
    return;
  }
  var x: array<f32, DIM>;
  var e: array<f32, E>;
  for (var d = 0u; d <= DIM; d = d + 1u) {
    var v = params.lambda;
    if (d < DIM) {
      x[d] = xt[q * DIM + d];
      v = x[d];
    }
    for (var k = 0u; k < FREQS; k = k + 1u) {
      var turns = v * L_TURNS[k];
      if (d < DIM) {
        turns = v * X_TURNS[k];
      }
      let sc = mlp_sin_cos(turns);
      e[d * 2u * FREQS + k] = sc.x;
      e[d * 2u * FREQS + FREQS + k] = sc.y;
    }
  }
  var h: array<f32, HIDDEN>;
  for (var j = 0u; j < HIDDEN; j = j + 1u) {
    var a = weights[B_IN + j];
    for (var k = 0u; k < E; k = k + 1u) {
      a = a + weights[W_IN + j * E + k] * e[k];
    }
    h[j] = mlp_silu(a);
  }
  var a: array<f32, HIDDEN>;
  for (var l = 0u; l < BLOCKS; l = l + 1u) {
    let w = BLOCK0 + l * BLOCK_SIZE;
    let b = w + HIDDEN * HIDDEN;
    for (var j = 0u; j < HIDDEN; j = j + 1u) {
      var v = weights[b + j];
      for (var k = 0u; k < HIDDEN; k = k + 1u) {
        v = v + weights[w + j * HIDDEN + k] * h[k];
      }
      a[j] = v;
    }
    for (var j = 0u; j < HIDDEN; j = j + 1u) {
      h[j] = h[j] + mlp_silu(a[j]);
    }
  }
  for (var d = 0u; d < DIM; d = d + 1u) {
    var v = weights[B_OUT + d];
    for (var k = 0u; k < HIDDEN; k = k + 1u) {
      v = v + weights[W_OUT + d * HIDDEN + k] * h[k];
    }
    eps_out[q * DIM + d] = v;
    x0_out[q * DIM + d] = clamp((x[d] - params.sqrt_one_minus_ab * v) * params.inv_sqrt_ab, -params.clip, params.clip);
  }
}
