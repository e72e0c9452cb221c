// The ε-MLP of mlp.wgsl as a batched matrix multiply (issue #15 item 3): a workgroup takes BLOCK_P particles,
// keeps their activations in workgroup memory (`act`, [k/4][particle] vec4s) and runs every layer in this one
// dispatch; each invocation owns 4 particles × 8 hidden units (8 vec4 accumulators). Same embedding, SiLU,
// residual blocks, x̂₀ clip and ε̂ as mlp.wgsl, each dot product summed in the same order (bias, then k = 0…).
// Header (src/kernels/diffusion/mlp-batched.ts): mlp.wgsl's constants plus BLOCK_P, WG, HP4 (padded hidden
// width / 4), EP4 (padded E / 4), K4MAX and the vec4 offsets of the repacked weights: transposed W[k][j] rows
// of HP4 vec4s (zero-padded rows and columns), biases padded to HP4; W_out row-major [d][k4].

// Params and bindings 0, 1, 3, 4: mlp_io.wgsl (joined in front).
@group(0) @binding(2) var<storage, read> weights: array<vec4<f32>>;

var<workgroup> act: array<vec4<f32>, BLOCK_P * K4MAX>;

fn silu4(a: vec4<f32>) -> vec4<f32> {
  return a / (vec4<f32>(1.0) + exp(-a));
}

// Feature f of the embedding of particle q (mlp.wgsl's e[f]); 0 for the padding f ≥ E.
fn feature(q: u32, f: u32) -> f32 {
  if (f >= E) {
    return 0.0;
  }
  let d = f / (2u * FREQS);
  let r = f % (2u * FREQS);
  let k = r % FREQS;
  var turns = params.lambda * L_TURNS[k];
  if (d < DIM) {
    var v = 0.0;
    if (q < params.count) {
      v = xt[q * DIM + d];
    }
    turns = v * X_TURNS[k];
  }
  let t = turns - round(turns);
  let cs = cos_sin_turns(t);
  if (r < FREQS) {
    return cs.y;
  }
  return cs.x;
}

// acc + x.x·w0 + x.y·w1 + x.z·w2 + x.w·w3, left to right (rows k … k + 3 of the transposed weights).
fn mac(acc: vec4<f32>, x: vec4<f32>, w0: vec4<f32>, w1: vec4<f32>, w2: vec4<f32>, w3: vec4<f32>) -> vec4<f32> {
  return (((acc + x.x * w0) + x.y * w1) + x.z * w2) + x.w * w3;
}

// Pre-activations of particles p0 … p0 + 3 at hidden units 4·j4 … 4·j4 + 7 from the K4 vec4s of `act`:
// [p·2 + c] = b + Σ_k W[j][k]·act[k][p] for the vec4 column j4 + c.
fn dense(w: u32, b: u32, k4n: u32, p0: u32, j4: u32) -> array<vec4<f32>, 8> {
  let b0 = weights[b + j4];
  let b1 = weights[b + j4 + 1u];
  var a00 = b0;
  var a01 = b1;
  var a10 = b0;
  var a11 = b1;
  var a20 = b0;
  var a21 = b1;
  var a30 = b0;
  var a31 = b1;
  for (var k4 = 0u; k4 < k4n; k4 = k4 + 1u) {
    let r = w + 4u * k4 * HP4 + j4;
    let w00 = weights[r];
    let w01 = weights[r + 1u];
    let w10 = weights[r + HP4];
    let w11 = weights[r + HP4 + 1u];
    let w20 = weights[r + 2u * HP4];
    let w21 = weights[r + 2u * HP4 + 1u];
    let w30 = weights[r + 3u * HP4];
    let w31 = weights[r + 3u * HP4 + 1u];
    let s = k4 * BLOCK_P + p0;
    let x0 = act[s];
    let x1 = act[s + 1u];
    let x2 = act[s + 2u];
    let x3 = act[s + 3u];
    a00 = mac(a00, x0, w00, w10, w20, w30);
    a01 = mac(a01, x0, w01, w11, w21, w31);
    a10 = mac(a10, x1, w00, w10, w20, w30);
    a11 = mac(a11, x1, w01, w11, w21, w31);
    a20 = mac(a20, x2, w00, w10, w20, w30);
    a21 = mac(a21, x2, w01, w11, w21, w31);
    a30 = mac(a30, x3, w00, w10, w20, w30);
    a31 = mac(a31, x3, w01, w11, w21, w31);
  }
  return array<vec4<f32>, 8>(a00, a01, a10, a11, a20, a21, a30, a31);
}

@compute @workgroup_size(WG)
fn mlp_batched(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let base = wid.x * BLOCK_P + wid.y * params.threads_per_row;
  if (base >= params.count) {
    return;
  }
  // Embedding: one vec4 of features per (particle, k4), written whole by one invocation.
  for (var i = lid; i < BLOCK_P * EP4; i = i + WG) {
    let p = i % BLOCK_P;
    let k4 = i / BLOCK_P;
    let q = base + p;
    var v: vec4<f32>;
    for (var c = 0u; c < 4u; c = c + 1u) {
      v[c] = feature(q, 4u * k4 + c);
    }
    act[i] = v;
  }
  workgroupBarrier();
  let p0 = 4u * (lid / (HP4 / 2u));
  let j4 = 2u * (lid % (HP4 / 2u));
  // h = silu(W_in e + b_in), then BLOCKS × (h ← h + silu(W h + b)).
  for (var l = 0u; l <= BLOCKS; l = l + 1u) {
    var w = W_IN;
    var b = B_IN;
    var k4n = EP4;
    if (l > 0u) {
      w = BLOCK0 + (l - 1u) * BLOCK_SIZE;
      b = w + HP * HP4;
      k4n = HP4;
    }
    var a = dense(w, b, k4n, p0, j4);
    workgroupBarrier();
    for (var p = 0u; p < 4u; p = p + 1u) {
      for (var c = 0u; c < 2u; c = c + 1u) {
        let at = (j4 + c) * BLOCK_P + p0 + p;
        var h = silu4(a[2u * p + c]);
        if (l > 0u) {
          h = act[at] + h;
        }
        act[at] = h;
      }
    }
    workgroupBarrier();
  }
  // ε̂ = W_out h + b_out and x̂₀, one (particle, d) per invocation.
  for (var o = lid; o < BLOCK_P * DIM; o = o + WG) {
    let p = o / DIM;
    let d = o % DIM;
    let q = base + p;
    if (q < params.count) {
      var v = weights[B_OUT + d / 4u][d % 4u];
      for (var k4 = 0u; k4 < HP4; k4 = k4 + 1u) {
        let h = act[k4 * BLOCK_P + p];
        let w = weights[W_OUT + d * HP4 + k4];
        v = v + w.x * h.x;
        v = v + w.y * h.y;
        v = v + w.z * h.z;
        v = v + w.w * h.w;
      }
      eps_out[q * DIM + d] = v;
      let x = xt[q * DIM + d];
      x0_out[q * DIM + d] = clamp((x - params.sqrt_one_minus_ab * v) * params.inv_sqrt_ab, -params.clip, params.clip);
    }
  }
}
