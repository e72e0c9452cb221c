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

// The same product with 4×4 outputs per invocation, for software adapters: no workgroup memory or barriers,
// no branch or bounds check inside the k loop (edge blocks read clamped rows/columns and skip their writes),
// and 8 loads per 16 multiply-adds instead of 2 per 1. Each output still sums k in the same order as
// `matmul`, then adds the bias. op(A)(row, kk) = a[row·a_row + kk·a_k], op(B)(kk, col) = b[kk·b_k + col·b_col].
@compute @workgroup_size(64)
fn matmul_block4(@builtin(global_invocation_id) gid: vec3u) {
  let col_blocks = (p.n + 3u) / 4u;
  let blocks = col_blocks * ((p.m + 3u) / 4u);
  if (gid.x >= blocks) {
    return;
  }
  let r0 = (gid.x / col_blocks) * 4u;
  let c0 = (gid.x % col_blocks) * 4u;
  let trans_a = (p.flags & 1u) != 0u;
  let trans_b = (p.flags & 2u) != 0u;
  let a_row = select(p.k, 1u, trans_a);
  let a_k = select(1u, p.m, trans_a);
  let b_col = select(1u, p.k, trans_b);
  let b_k = select(p.n, 1u, trans_b);
  let last_r = p.m - 1u;
  let last_c = p.n - 1u;
  var ia = vec4u(
    min(r0, last_r),
    min(r0 + 1u, last_r),
    min(r0 + 2u, last_r),
    min(r0 + 3u, last_r),
  ) * a_row;
  var ib = vec4u(
    min(c0, last_c),
    min(c0 + 1u, last_c),
    min(c0 + 2u, last_c),
    min(c0 + 3u, last_c),
  ) * b_col;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var kk = 0u; kk < p.k; kk++) {
    let bv = vec4f(b[ib.x], b[ib.y], b[ib.z], b[ib.w]);
    acc0 += a[ia.x] * bv;
    acc1 += a[ia.y] * bv;
    acc2 += a[ia.z] * bv;
    acc3 += a[ia.w] * bv;
    ia += vec4u(a_k);
    ib += vec4u(b_k);
  }
  var bias_v = vec4f(0.0);
  if ((p.flags & 4u) != 0u) {
    bias_v = vec4f(
      bias[min(c0, last_c)],
      bias[min(c0 + 1u, last_c)],
      bias[min(c0 + 2u, last_c)],
      bias[min(c0 + 3u, last_c)],
    );
  }
  let rows = array<vec4f, 4>(acc0 + bias_v, acc1 + bias_v, acc2 + bias_v, acc3 + bias_v);
  for (var i = 0u; i < 4u; i++) {
    let r = r0 + i;
    if (r < p.m) {
      for (var j = 0u; j < 4u; j++) {
        if (c0 + j < p.n) {
          c[r * p.n + c0 + j] = rows[i][j];
        }
      }
    }
  }
}
