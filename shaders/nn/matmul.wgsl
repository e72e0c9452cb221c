// Tiled matmul C[m, n] = op(A)[m, k] · op(B)[k, n] (+ bias[n]), 16×16 tiles in workgroup memory.
// flags: bit 0 — A is stored transposed ([k, m]); bit 1 — B is stored transposed ([n, k]); bit 2 — add bias;
// bit 3 — also sums[col] = Σ_k op(B)(k, col); bit 4 — also sums[row] = Σ_k op(A)(row, k). Linear layers use
// it three ways: Y = X·W + b, dX = dY·Wᵀ, dW = Xᵀ·dY — the last with db = Σ_rows dY from the same loads
// (bit 3 for W[in][out], bit 4 for dW = dYᵀ·X with W[out][in]), or from `column_sum`. Each sum runs over k
// in order, one add per term (recursive summation, as `column_sum`), so both give the same bits.

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
@group(0) @binding(5) var<storage, read_write> sums: array<f32>;

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
  // The first row of tiles sums op(B)'s columns, the first column of tiles op(A)'s rows (when asked).
  let sum_b = (p.flags & 8u) != 0u && wg.y == 0u && lid.y == 0u;
  let sum_a = (p.flags & 16u) != 0u && wg.x == 0u && lid.x == 0u;
  var acc = 0.0;
  var sb = 0.0;
  var sa = 0.0;
  let tiles = (p.k + TILE - 1u) / TILE;
  for (var t = 0u; t < tiles; t++) {
    tile_a[lid.y][lid.x] = load_a(row, t * TILE + lid.x);
    tile_b[lid.y][lid.x] = load_b(t * TILE + lid.y, col);
    workgroupBarrier();
    for (var i = 0u; i < TILE; i++) {
      acc += tile_a[lid.y][i] * tile_b[i][lid.x];
    }
    if (sum_b) {
      for (var i = 0u; i < TILE; i++) {
        sb += tile_b[i][lid.x];
      }
    }
    if (sum_a) {
      for (var i = 0u; i < TILE; i++) {
        sa += tile_a[lid.y][i];
      }
    }
    workgroupBarrier();
  }
  if (sum_b && col < p.n) {
    sums[col] = sb;
  }
  if (sum_a && row < p.m) {
    sums[row] = sa;
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
  let sum_b = (p.flags & 8u) != 0u && row == 0u;
  let sum_a = (p.flags & 16u) != 0u && col == 0u;
  var acc = 0.0;
  var sb = 0.0;
  var sa = 0.0;
  for (var kk = 0u; kk < p.k; kk++) {
    let av = load_a(row, kk);
    let bv = load_b(kk, col);
    acc += av * bv;
    if (sum_b) {
      sb += bv;
    }
    if (sum_a) {
      sa += av;
    }
  }
  if (sum_b) {
    sums[col] = sb;
  }
  if (sum_a) {
    sums[row] = sa;
  }
  if ((p.flags & 4u) != 0u) {
    acc += bias[col];
  }
  c[row * p.n + col] = acc;
}

// The same product with 8×8 outputs per invocation, for software adapters (SwiftShader runs invocations as
// the lanes of CPU SIMD registers): no workgroup memory or barriers, no branch or bounds check inside the
// k loop (edge blocks read clamped rows/columns and skip their writes), 16 loads per 64 multiply-adds. An
// invocation takes rows 8·rb … 8·rb + 7 and the columns cb + j·⌈n/8⌉ (j = 0 … 7), so neighbouring
// invocations read neighbouring columns of op(B). Measured on SwiftShader (2 cores): 2–3× faster than
// 4×4 blocks of adjacent columns at 256×128×128, ~10× faster than `matmul`. Each output still sums k in
// the same order as `matmul`, then adds the bias. op(A)(row, kk) = a[row·a_row + kk·a_k] and
// op(B)(kk, col) = b[kk·b_k + col·b_col].

fn store_row(row: u32, lo: vec4f, hi: vec4f, cols_lo: vec4u, cols_hi: vec4u) {
  if (row >= p.m) {
    return;
  }
  for (var j = 0u; j < 4u; j++) {
    if (cols_lo[j] < p.n) {
      c[row * p.n + cols_lo[j]] = lo[j];
    }
    if (cols_hi[j] < p.n) {
      c[row * p.n + cols_hi[j]] = hi[j];
    }
  }
}

@compute @workgroup_size(64)
fn matmul_block8(@builtin(global_invocation_id) gid: vec3u) {
  let col_blocks = (p.n + 7u) / 8u;
  if (gid.x >= col_blocks * ((p.m + 7u) / 8u)) {
    return;
  }
  let r0 = (gid.x / col_blocks) * 8u;
  let trans_a = (p.flags & 1u) != 0u;
  let trans_b = (p.flags & 2u) != 0u;
  let a_row = select(p.k, 1u, trans_a);
  let a_k = vec4u(select(1u, p.m, trans_a));
  let b_col = select(1u, p.k, trans_b);
  let b_k = vec4u(select(p.n, 1u, trans_b));
  let last_r = vec4u(p.m - 1u);
  let last_c = vec4u(p.n - 1u);
  let rows_lo = vec4u(r0) + vec4u(0u, 1u, 2u, 3u);
  let rows_hi = rows_lo + vec4u(4u);
  let cols_lo = vec4u(gid.x % col_blocks) + vec4u(0u, 1u, 2u, 3u) * col_blocks;
  let cols_hi = cols_lo + vec4u(4u * col_blocks);
  var ia_lo = min(rows_lo, last_r) * a_row;
  var ia_hi = min(rows_hi, last_r) * a_row;
  var ib_lo = min(cols_lo, last_c) * b_col;
  var ib_hi = min(cols_hi, last_c) * b_col;
  // acc{i}{l,h}: row r0 + i, columns cols_lo / cols_hi.
  var acc0l = vec4f(0.0);
  var acc0h = vec4f(0.0);
  var acc1l = vec4f(0.0);
  var acc1h = vec4f(0.0);
  var acc2l = vec4f(0.0);
  var acc2h = vec4f(0.0);
  var acc3l = vec4f(0.0);
  var acc3h = vec4f(0.0);
  var acc4l = vec4f(0.0);
  var acc4h = vec4f(0.0);
  var acc5l = vec4f(0.0);
  var acc5h = vec4f(0.0);
  var acc6l = vec4f(0.0);
  var acc6h = vec4f(0.0);
  var acc7l = vec4f(0.0);
  var acc7h = vec4f(0.0);
  // The first row block sums op(B)'s columns, the first column block op(A)'s rows (when asked).
  let sum_b = (p.flags & 8u) != 0u && r0 == 0u;
  let sum_a = (p.flags & 16u) != 0u && gid.x % col_blocks == 0u;
  var sbl = vec4f(0.0);
  var sbh = vec4f(0.0);
  var sal = vec4f(0.0);
  var sah = vec4f(0.0);
  for (var kk = 0u; kk < p.k; kk++) {
    let bl = vec4f(b[ib_lo.x], b[ib_lo.y], b[ib_lo.z], b[ib_lo.w]);
    let bh = vec4f(b[ib_hi.x], b[ib_hi.y], b[ib_hi.z], b[ib_hi.w]);
    let al = vec4f(a[ia_lo.x], a[ia_lo.y], a[ia_lo.z], a[ia_lo.w]);
    let ah = vec4f(a[ia_hi.x], a[ia_hi.y], a[ia_hi.z], a[ia_hi.w]);
    if (sum_b) {
      sbl += bl;
      sbh += bh;
    }
    if (sum_a) {
      sal += al;
      sah += ah;
    }
    acc0l += al.x * bl;
    acc0h += al.x * bh;
    acc1l += al.y * bl;
    acc1h += al.y * bh;
    acc2l += al.z * bl;
    acc2h += al.z * bh;
    acc3l += al.w * bl;
    acc3h += al.w * bh;
    acc4l += ah.x * bl;
    acc4h += ah.x * bh;
    acc5l += ah.y * bl;
    acc5h += ah.y * bh;
    acc6l += ah.z * bl;
    acc6h += ah.z * bh;
    acc7l += ah.w * bl;
    acc7h += ah.w * bh;
    ia_lo += a_k;
    ia_hi += a_k;
    ib_lo += b_k;
    ib_hi += b_k;
  }
  var bias_l = vec4f(0.0);
  var bias_h = vec4f(0.0);
  if ((p.flags & 4u) != 0u) {
    let jl = min(cols_lo, last_c);
    let jh = min(cols_hi, last_c);
    bias_l = vec4f(bias[jl.x], bias[jl.y], bias[jl.z], bias[jl.w]);
    bias_h = vec4f(bias[jh.x], bias[jh.y], bias[jh.z], bias[jh.w]);
  }
  store_row(r0, acc0l + bias_l, acc0h + bias_h, cols_lo, cols_hi);
  store_row(r0 + 1u, acc1l + bias_l, acc1h + bias_h, cols_lo, cols_hi);
  store_row(r0 + 2u, acc2l + bias_l, acc2h + bias_h, cols_lo, cols_hi);
  store_row(r0 + 3u, acc3l + bias_l, acc3h + bias_h, cols_lo, cols_hi);
  store_row(r0 + 4u, acc4l + bias_l, acc4h + bias_h, cols_lo, cols_hi);
  store_row(r0 + 5u, acc5l + bias_l, acc5h + bias_h, cols_lo, cols_hi);
  store_row(r0 + 6u, acc6l + bias_l, acc6h + bias_h, cols_lo, cols_hi);
  store_row(r0 + 7u, acc7l + bias_l, acc7h + bias_h, cols_lo, cols_hi);
  if (sum_b) {
    store_sums(sbl, cols_lo, p.n);
    store_sums(sbh, cols_hi, p.n);
  }
  if (sum_a) {
    store_sums(sal, rows_lo, p.m);
    store_sums(sah, rows_hi, p.m);
  }
}

fn store_sums(v: vec4f, at: vec4u, limit: u32) {
  for (var j = 0u; j < 4u; j++) {
    if (at[j] < limit) {
      sums[at[j]] = v[j];
    }
  }
}
