// Grids for the 2D views. A G×G grid over [x_min, x_max) × [y_min, y_max); cell (row r, column c) is index
// r·G + c with row 0 at y_min. References: gridPointsReference and densityReference in
// src/kernels/diffusion/diffusion.ref.ts.
// - grid_points: the G² cell centres (x_min + (c + ½)·dx, y_min + (r + ½)·dy), where the denoiser's vector
//   field is evaluated.
// - density: histogram of components (0, 1) of `count` particles (stride `dim`), one global atomic add per
//   particle: counts[r·G + c], and counts[G²] for particles outside the grid (or NaN).

struct Params {
  count: u32,
  dim: u32,
  size: u32,
  threads_per_row: u32,
  x_min: f32,
  y_min: f32,
  dx: f32,
  dy: f32,
  scale_x: f32,
  scale_y: f32,
  _pad0: f32,
  _pad1: f32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> positions: array<f32>;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> points: array<f32>;

@compute @workgroup_size(256)
fn grid_points(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x + gid.y * params.threads_per_row;
  if (k >= params.size * params.size) {
    return;
  }
  let r = k / params.size;
  let c = k - r * params.size;
  points[2u * k] = params.x_min + (f32(c) + 0.5) * params.dx;
  points[2u * k + 1u] = params.y_min + (f32(r) + 0.5) * params.dy;
}

@compute @workgroup_size(256)
fn density(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.threads_per_row;
  if (i >= params.count) {
    return;
  }
  let x = positions[i * params.dim];
  let y = positions[i * params.dim + 1u];
  let bx = floor((x - params.x_min) * params.scale_x);
  let by = floor((y - params.y_min) * params.scale_y);
  let g = f32(params.size);
  var slot = params.size * params.size;
  if (bx >= 0.0 && bx < g && by >= 0.0 && by < g) {
    slot = u32(by) * params.size + u32(bx);
  }
  atomicAdd(&counts[slot], 1u);
}
