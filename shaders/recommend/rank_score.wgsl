// The ranker's relevance per candidate row (joined after ranks.wgsl): relevance[r] = σ(logit₁ − logit₀) of
// a one-hidden-layer ReLU MLP on features[r] (f32 [rows][in_dim]); −FLT_MAX where ids[r] == NO_PICK.
// weights: layers.0.weight [in_dim][width], layers.0.bias [width], out.weight [width][2], out.bias [2],
// concatenated (tensorSpecs order). One invocation per row: hidden unit j is formed, rectified and folded
// into both logits at once, so no per-row array is needed. Dispatch grid1D(rows, 64).

struct Params {
  rows: u32,
  in_dim: u32,
  width: u32,
  threads_per_row: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> features: array<f32>;
@group(0) @binding(3) var<storage, read> ids: array<u32>;
@group(0) @binding(4) var<storage, read_write> relevance: array<f32>;

// σ(d) without overflow: exp of a non-positive argument only.
fn sigmoid(d: f32) -> f32 {
  if (d >= 0.0) {
    return 1.0 / (1.0 + exp(-d));
  }
  let e = exp(d);
  return e / (1.0 + e);
}

@compute @workgroup_size(64)
fn rank_score(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * params.threads_per_row;
  if (r >= params.rows) {
    return;
  }
  if (ids[r] == NO_PICK) {
    relevance[r] = NEG_BIG;
    return;
  }
  let n = params.in_dim;
  let w = params.width;
  let b0 = n * w;
  let w1 = b0 + w;
  let b1 = w1 + 2u * w;
  let x = r * n;
  var l0 = weights[b1];
  var l1 = weights[b1 + 1u];
  for (var j = 0u; j < w; j++) {
    var s = weights[b0 + j];
    for (var k = 0u; k < n; k++) {
      s = s + features[x + k] * weights[k * w + j];
    }
    let h = max(s, 0.0);
    l0 = l0 + h * weights[w1 + 2u * j];
    l1 = l1 + h * weights[w1 + 2u * j + 1u];
  }
  relevance[r] = sigmoid(l1 - l0);
}
