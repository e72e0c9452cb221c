// Histogram of an f32 buffer into `bins` equal bins on [lo, lo + bins/scale), plus underflow and overflow
// counters at indices bins and bins + 1. Workgroup-local atomics, then one global add per bin per workgroup.

struct Params {
  count: u32,
  bins: u32,
  lo: f32,
  scale: f32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;

const WG: u32 = 256u;
const MAX_BINS: u32 = 1026u;
var<workgroup> local_counts: array<atomic<u32>, MAX_BINS>;

@compute @workgroup_size(WG)
fn histogram(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lid3.x;
  let slots = params.bins + 2u;
  for (var b = lid; b < slots; b = b + WG) {
    atomicStore(&local_counts[b], 0u);
  }
  workgroupBarrier();
  let stride = nwg.x * WG;
  for (var i = wid.x * WG + lid; i < params.count; i = i + stride) {
    let x = values[i];
    let pos = floor((x - params.lo) * params.scale);
    var bin: u32;
    if (pos < 0.0) {
      bin = params.bins;
    } else if (pos < f32(params.bins)) {
      bin = u32(pos);
    } else {
      bin = params.bins + 1u; // also NaN
    }
    bin = min(bin, params.bins + 1u);
    atomicAdd(&local_counts[bin], 1u);
  }
  workgroupBarrier();
  for (var b = lid; b < slots; b = b + WG) {
    let c = atomicLoad(&local_counts[b]);
    if (c > 0u) {
      atomicAdd(&counts[b], c);
    }
  }
}
