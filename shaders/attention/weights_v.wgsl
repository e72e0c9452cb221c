// Staged attention, stage 3: out = weights · V per head, tiled 16×16 with workgroup memory.
// Key tiles that the mask excludes for every query of the tile are skipped (their weights are exactly 0).
// Layouts: weights [heads][len][len]; v, out [heads][len][dim]. Dispatch (⌈dim/16⌉, ⌈len/16⌉, heads).
// Joined after mask.wgsl.

struct Params {
  heads: u32,
  len: u32,
  dim: u32,
  mask_kind: u32,
  mask_param: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> v_in: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const TILE: u32 = 16u;
var<workgroup> w_tile: array<array<f32, 17>, 16>;  // [query][key in tile]
var<workgroup> v_tile: array<array<f32, 17>, 16>;  // [key in tile][dim]

@compute @workgroup_size(16, 16, 1)
fn weights_v(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let len = params.len;
  let dim = params.dim;
  let h = wg.z;
  let q0 = wg.y * TILE;
  let qi = q0 + lid.y;
  let ci = wg.x * TILE + lid.x;
  let range = mask_key_range(params.mask_kind, params.mask_param, q0, min(q0 + TILE, len) - 1u, len);
  var acc = 0.0;
  for (var k0 = range.x - range.x % TILE; k0 < range.y; k0 = k0 + TILE) {
    let kw = k0 + lid.x;  // key column this thread loads from weights
    let kv = k0 + lid.y;  // key row this thread loads from v
    var w = 0.0;
    var x = 0.0;
    if (qi < len && kw < len) {
      w = weights[(h * len + qi) * len + kw];
    }
    if (kv < len && ci < dim) {
      x = v_in[(h * len + kv) * dim + ci];
    }
    w_tile[lid.y][lid.x] = w;
    v_tile[lid.y][lid.x] = x;
    workgroupBarrier();
    for (var j = 0u; j < TILE; j = j + 1u) {
      acc = acc + w_tile[lid.y][j] * v_tile[j][lid.x];
    }
    workgroupBarrier();
  }
  if (qi < len && ci < dim) {
    out[(h * len + qi) * dim + ci] = acc;
  }
}
