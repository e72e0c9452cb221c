// The exact denoiser of the empirical data for high dimensions (images: DIM up to 1024), one workgroup per
// particle. shaders/common/online_softmax.wgsl is joined in front, and a header defining
// `const DIM: u32` (dimension), `const PER_THREAD: u32` (= ceil(DIM / WG), components owned by each thread)
// and `const CHUNK: u32` (data points per workgroup-memory tile, CHUNK·DIM ≤ 4096 floats).
//
// Same mathematics as exact_points.wgsl: E[x₀|x_t] = Σ_i softmax_i(−‖x_t − √ᾱ x_i‖²/(2(1−ᾱ))) x_i with the
// shared online softmax. Thread l owns components l, l + WG, …: it holds those of x_t and of the x̂₀
// accumulator. Per tile of CHUNK data points: the tile is loaded into workgroup memory; each thread writes
// its partial squared distance to each point; threads 0…CHUNK−1 each sum one point's WG partials into its
// logit; then every thread pushes the CHUNK logits through its own (identical) softmax state and updates
// its components. Reference: exactDenoiserReference in src/kernels/diffusion/diffusion.ref.ts.

struct Params {
  count: u32,
  data_count: u32,
  groups_per_row: u32,
  _pad0: u32,
  sqrt_ab: f32,
  inv_two_var: f32,
  inv_sqrt_one_minus_ab: f32,
  _pad1: f32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xt: array<f32>;
@group(0) @binding(2) var<storage, read> data: array<f32>;
@group(0) @binding(3) var<storage, read_write> x0_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> eps_out: array<f32>;

const WG: u32 = 64u;
var<workgroup> tile: array<f32, CHUNK * DIM>;
var<workgroup> partial: array<f32, CHUNK * WG>;
var<workgroup> logits: array<f32, CHUNK>;

@compute @workgroup_size(WG)
fn denoise_wide(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let q = wid.x + wid.y * params.groups_per_row;
  if (q >= params.count) {
    return; // uniform across the workgroup
  }
  let s = params.sqrt_ab;
  var x: array<f32, PER_THREAD>;
  var acc: array<f32, PER_THREAD>;
  for (var c = 0u; c < PER_THREAD; c = c + 1u) {
    let d = lid + c * WG;
    acc[c] = 0.0;
    x[c] = 0.0;
    if (d < DIM) {
      x[c] = xt[q * DIM + d];
    }
  }
  var state = softmax_state_new();
  for (var base = 0u; base < params.data_count; base = base + CHUNK) {
    let n = min(CHUNK, params.data_count - base);
    for (var k = lid; k < n * DIM; k = k + WG) {
      tile[k] = data[base * DIM + k];
    }
    workgroupBarrier();
    for (var j = 0u; j < n; j = j + 1u) {
      var d2 = 0.0;
      for (var c = 0u; c < PER_THREAD; c = c + 1u) {
        let d = lid + c * WG;
        if (d < DIM) {
          let diff = x[c] - s * tile[j * DIM + d];
          d2 = d2 + diff * diff;
        }
      }
      partial[j * WG + lid] = d2;
    }
    workgroupBarrier();
    if (lid < n) {
      var sum = 0.0;
      for (var k = 0u; k < WG; k = k + 1u) {
        sum = sum + partial[lid * WG + k];
      }
      logits[lid] = -sum * params.inv_two_var;
    }
    workgroupBarrier();
    for (var j = 0u; j < n; j = j + 1u) {
      let f = softmax_push(&state, logits[j]);
      for (var c = 0u; c < PER_THREAD; c = c + 1u) {
        let d = lid + c * WG;
        if (d < DIM) {
          acc[c] = acc[c] * f.x + f.y * tile[j * DIM + d];
        }
      }
    }
    workgroupBarrier();
  }
  let inv = softmax_inv_sum(state);
  for (var c = 0u; c < PER_THREAD; c = c + 1u) {
    let d = lid + c * WG;
    if (d < DIM) {
      let v = acc[c] * inv;
      x0_out[q * DIM + d] = v;
      eps_out[q * DIM + d] = (x[c] - s * v) * params.inv_sqrt_one_minus_ab;
    }
  }
}
