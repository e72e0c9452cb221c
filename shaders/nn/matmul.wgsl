// Tiled matmul C[m, n] = op(A)[m, k] · op(B)[k, n] (+ bias[n]), 16×16 tiles in workgroup memory.
// flags: bit 0 — A is stored transposed ([k, m]); bit 1 — B is stored transposed ([n, k]); bit 2 — add bias.
// Linear layers use it three ways: Y = X·W + b, dX = dY·Wᵀ, dW = Xᵀ·dY. `column_sum` gives db = Σ_rows dY.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  flags: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

const TILE: u32 = 16u;
var<workgroup> tile_a: array<array<f32, 16>, 16>;
var<workgroup> tile_b: array<array<f32, 16>, 16>;

fn load_a(row: u32, kk: u32) -> f32 {
  if (row >= p.m || kk >= p.k) {
    return 0.0;
  }
  if ((p.flags & 1u) != 0u) {
    return a[kk * p.m + row];
  }
  return a[row * p.k + kk];
}

fn load_b(kk: u32, col: u32) -> f32 {
  if (kk >= p.k || col >= p.n) {
    return 0.0;
  }
  if ((p.flags & 2u) != 0u) {
    return b[col * p.k + kk];
  }
  return b[kk * p.n + col];
}

@compute @workgroup_size(16, 16)
fn matmul(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = wg.y * TILE + lid.y;
  let col = wg.x * TILE + lid.x;
  var acc = 0.0;
  let tiles = (p.k + TILE - 1u) / TILE;
  for (var t = 0u; t < tiles; t++) {
    tile_a[lid.y][lid.x] = load_a(row, t * TILE + lid.x);
    tile_b[lid.y][lid.x] = load_b(t * TILE + lid.y, col);
    workgroupBarrier();
    for (var i = 0u; i < TILE; i++) {
      acc += tile_a[lid.y][i] * tile_b[i][lid.x];
    }
    workgroupBarrier();
  }
  if (row < p.m && col < p.n) {
    if ((p.flags & 4u) != 0u) {
      acc += bias[col];
    }
    c[row * p.n + col] = acc;
  }
}

// c[col] = Σ_row a[row, col] for a stored [m, n].
@compute @workgroup_size(64)
fn column_sum(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  if (col >= p.n) {
    return;
  }
  var s = 0.0;
  for (var r = 0u; r < p.m; r++) {
    s += a[r * p.n + col];
  }
  c[col] = s;
}

// The same product without workgroup memory or barriers: one thread per output, a plain loop over k in the
// same order as `matmul`. For the small shapes of the diffusion ε-MLP (k ≤ 256) it is as fast on GPUs and
// much faster on software adapters (SwiftShader runs barrier-synchronised workgroups slowly).
@compute @workgroup_size(64)
fn matmul_direct(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.m * p.n) {
    return;
  }
  let row = i / p.n;
  let col = i % p.n;
  var acc = 0.0;
  for (var kk = 0u; kk < p.k; kk++) {
    acc += load_a(row, kk) * load_b(kk, col);
  }
  if ((p.flags & 4u) != 0u) {
    acc += bias[col];
  }
  c[row * p.n + col] = acc;
}
