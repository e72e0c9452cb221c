// Causal softmax backward with dA, one invocation per (batch·head, query) row g·T + i (grid1D):
//   dA[i][j] = Σ_c dO[i][c]·V[j][c]   for j ≤ i, 0 for j > i
//   r_i      = Σ_{j ≤ i} dA[i][j]·A[i][j]
//   dS[i][j] = A[i][j]·(dA[i][j] − r_i) for j ≤ i, 0 for j > i
// Sums in ascending order (src/kernels/transformer/ref.ts). Layouts: d_o, v [B·H][T][dh]; a, d_a, d_s [B·H][T][T].

struct Params {
  heads: u32,
  len: u32,
  dim: u32,
  threads_per_row: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> d_o: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> a: array<f32>;
@group(0) @binding(4) var<storage, read_write> d_a: array<f32>;
@group(0) @binding(5) var<storage, read_write> d_s: array<f32>;

@compute @workgroup_size(64)
fn softmax_backward(@builtin(global_invocation_id) gid: vec3u) {
  let gi = gid.x + gid.y * p.threads_per_row;  // g·T + i
  if (gi >= p.heads * p.len) {
    return;
  }
  let i = gi % p.len;
  let g0 = gi - i;
  let row = gi * p.len;
  var r = 0.0;
  for (var j = 0u; j <= i; j++) {
    var acc = 0.0;
    for (var c = 0u; c < p.dim; c++) {
      acc += d_o[gi * p.dim + c] * v[(g0 + j) * p.dim + c];
    }
    d_a[row + j] = acc;
    r += acc * a[row + j];
  }
  for (var j = 0u; j < p.len; j++) {
    if (j <= i) {
      d_s[row + j] = a[row + j] * (d_a[row + j] - r);
    } else {
      d_a[row + j] = 0.0;
      d_s[row + j] = 0.0;
    }
  }
}
