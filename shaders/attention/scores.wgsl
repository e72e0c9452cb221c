// Staged attention, stage 1: S = Q Kᵀ per head, tiled 16×16 with workgroup memory, then
//   raw    = S                       (written when write_raw ≠ 0)
//   scaled = S · scale + bias         (written when write_scaled ≠ 0)
//   masked = keep ? scaled : MASKED   (always written: the softmax kernel's input)
// Layouts: q, k [heads][len][dim]; bias [len][len] (bias_mode 1) or [heads][len][len] (bias_mode 2);
// stages [heads][len][len]. Dispatch (⌈len/16⌉ key tiles, ⌈len/16⌉ query tiles, heads).
// Lengths and dims need not be multiples of 16: out-of-range loads read 0, out-of-range stores are skipped.
// Joined after mask.wgsl.

struct Params {
  heads: u32,
  len: u32,
  dim: u32,
  scale: f32,
  mask_kind: u32,
  mask_param: u32,
  row_words: u32,
  bias_mode: u32,
  write_raw: u32,
  write_scaled: u32,
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q_in: array<f32>;
@group(0) @binding(2) var<storage, read> k_in: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> mask_bits: array<u32>;
@group(0) @binding(5) var<storage, read_write> raw: array<f32>;
@group(0) @binding(6) var<storage, read_write> scaled: array<f32>;
@group(0) @binding(7) var<storage, read_write> masked: array<f32>;

const TILE: u32 = 16u;
var<workgroup> q_tile: array<array<f32, 17>, 16>;  // [query][dim in chunk]
var<workgroup> k_tile: array<array<f32, 17>, 16>;  // [dim in chunk][key] (transposed)

@compute @workgroup_size(16, 16, 1)
fn scores(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let len = params.len;
  let dim = params.dim;
  let h = wg.z;
  let qi = wg.y * TILE + lid.y;
  let ki = wg.x * TILE + lid.x;
  let k_row = wg.x * TILE + lid.y;  // the key row this thread loads
  var acc = 0.0;
  for (var c0 = 0u; c0 < dim; c0 = c0 + TILE) {
    let c = c0 + lid.x;
    var qv = 0.0;
    var kv = 0.0;
    if (qi < len && c < dim) {
      qv = q_in[(h * len + qi) * dim + c];
    }
    if (k_row < len && c < dim) {
      kv = k_in[(h * len + k_row) * dim + c];
    }
    q_tile[lid.y][lid.x] = qv;
    k_tile[lid.x][lid.y] = kv;
    workgroupBarrier();
    for (var i = 0u; i < TILE; i = i + 1u) {
      acc = acc + q_tile[lid.y][i] * k_tile[i][lid.x];
    }
    workgroupBarrier();
  }
  if (qi >= len || ki >= len) {
    return;
  }
  let idx = (h * len + qi) * len + ki;
  if (params.write_raw != 0u) {
    raw[idx] = acc;
  }
  var s = acc * params.scale;
  if (params.bias_mode == 1u) {
    s = s + bias[qi * len + ki];
  } else if (params.bias_mode == 2u) {
    s = s + bias[idx];
  }
  if (params.write_scaled != 0u) {
    scaled[idx] = s;
  }
  masked[idx] = select(MASKED, s, keeps(qi, ki));
}
