// Top-k per row: the k largest values of each row of `values` [rows][len] with their indices, largest
// first, ties to the lowest index (k ≤ 512). One workgroup per row keeps 1024 (value, index) slots in
// workgroup memory: fill, bitonic-sort descending, keep the first k, refill slots k…1023 with the next
// 1024 − k values, repeat. Slots past the row's end hold (−FLT_MAX, NO_PICK), which sort after every real
// value, so any len works (not only powers of two); k > len leaves NO_PICK entries. Dispatch (rows).

struct Params {
  rows: u32,
  len: u32,
  k: u32,
  _pad: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> out_index: array<u32>;
@group(0) @binding(3) var<storage, read_write> out_value: array<f32>;

const WG: u32 = 256u;
const SLOTS: u32 = 1024u;

var<workgroup> sv: array<f32, 1024>;
var<workgroup> si: array<u32, 1024>;

@compute @workgroup_size(256)
fn topk(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let row = wg.x;
  let lid = lid3.x;
  let len = params.len;
  let base = row * len;
  var next = 0u;   // values consumed so far
  var start = 0u;  // first slot to refill
  loop {
    for (var s = lid; s < SLOTS; s = s + WG) {
      if (s >= start) {
        let e = next + (s - start);
        if (e < len) {
          sv[s] = values[base + e];
          si[s] = e;
        } else {
          sv[s] = NEG_BIG;
          si[s] = NO_PICK;
        }
      }
    }
    next = next + (SLOTS - start);
    start = params.k;
    workgroupBarrier();
    for (var size = 2u; size <= SLOTS; size = size << 1u) {
      for (var stride = size >> 1u; stride > 0u; stride = stride >> 1u) {
        for (var t = lid; t < SLOTS / 2u; t = t + WG) {
          let lo = 2u * stride * (t / stride) + (t % stride);
          let hi = lo + stride;
          let want_lo_first = (lo & size) == 0u;
          if (ranks_before(sv[lo], si[lo], sv[hi], si[hi]) != want_lo_first) {
            let v = sv[lo];
            let i = si[lo];
            sv[lo] = sv[hi];
            si[lo] = si[hi];
            sv[hi] = v;
            si[hi] = i;
          }
        }
        workgroupBarrier();
      }
    }
    if (next >= len) {
      break;
    }
  }
  for (var s = lid; s < params.k; s = s + WG) {
    out_index[row * params.k + s] = si[s];
    out_value[row * params.k + s] = sv[s];
  }
}
