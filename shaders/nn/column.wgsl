// One column of a row-major [rows, stride] matrix, copied to out[offset + r]: what the BatchNorm lab reads back
// of a layer for the chosen unit's percentiles (B floats instead of the whole layer, in one dispatch instead of
// a copy command per row).

struct Params {
  rows: u32,
  stride: u32,
  col: u32,
  offset: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn gather_column(@builtin(global_invocation_id) gid: vec3u) {
  let r = gid.x;
  if (r < p.rows) {
    out[p.offset + r] = src[r * p.stride + p.col];
  }
}
