// Batched causal attention products for training, per (batch, head) g of `heads` = B·H independent heads
// (layouts in src/kernels/transformer/spec.ts). One invocation per output, index gid.x + gid.y·threads_per_row
// (grid1D); no workgroup memory or barriers; every sum runs in ascending index order over the kept (causal)
// terms only, as in src/kernels/transformer/ref.ts. Joined after shaders/attention/mask.wgsl (MASKED).
//   causal_scores: out[g][i][j] = (Σ_c a[g][i][c]·b[g][j][c])·scale for j ≤ i, MASKED for j > i
//                  (a = Q, b = K; the masked stage that shaders/attention/softmax.wgsl turns into A)
//   causal_ax:     out[g][i][c] = (Σ_{j ≤ i} a[g][i][j]·b[g][j][c])·scale   (O = A·V, scale 1; dQ = dS·K·scale)
//   causal_atx:    out[g][j][c] = (Σ_{i ≥ j} a[g][i][j]·b[g][i][c])·scale   (dV = Aᵀ·dO, scale 1; dK = dSᵀ·Q·scale)

struct Params {
  heads: u32,
  len: u32,
  dim: u32,
  scale: f32,
  threads_per_row: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn causal_scores(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x + gid.y * p.threads_per_row;
  if (idx >= p.heads * p.len * p.len) {
    return;
  }
  let j = idx % p.len;
  let gi = idx / p.len;  // g·T + i
  let i = gi % p.len;
  if (!mask_rule_keeps(MASK_CAUSAL, 0u, i, j)) {
    out[idx] = MASKED;
    return;
  }
  let qa = gi * p.dim;
  let kb = (gi - i + j) * p.dim;
  var acc = 0.0;
  for (var c = 0u; c < p.dim; c++) {
    acc += a[qa + c] * b[kb + c];
  }
  out[idx] = acc * p.scale;
}

@compute @workgroup_size(64)
fn causal_ax(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x + gid.y * p.threads_per_row;
  if (idx >= p.heads * p.len * p.dim) {
    return;
  }
  let c = idx % p.dim;
  let gi = idx / p.dim;  // g·T + i
  let i = gi % p.len;
  let g0 = gi - i;  // g·T
  var acc = 0.0;
  for (var j = 0u; j <= i; j++) {
    acc += a[gi * p.len + j] * b[(g0 + j) * p.dim + c];
  }
  out[idx] = acc * p.scale;
}

@compute @workgroup_size(64)
fn causal_atx(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x + gid.y * p.threads_per_row;
  if (idx >= p.heads * p.len * p.dim) {
    return;
  }
  let c = idx % p.dim;
  let gj = idx / p.dim;  // g·T + j
  let j = gj % p.len;
  let g0 = gj - j;
  var acc = 0.0;
  for (var i = j; i < p.len; i++) {
    acc += a[(g0 + i) * p.len + j] * b[(g0 + i) * p.dim + c];
  }
  out[idx] = acc * p.scale;
}
