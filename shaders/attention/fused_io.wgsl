// The fused attention kernels' interface, shared by both families (fused.wgsl for software adapters,
// flash.wgsl for GPUs): Params, the eight bindings and the mask test of one (query, key) pair.
// Layouts: q, k, v, out [heads][len][dim]; bias as in scores.wgsl; stats [heads][len][2].
// Joined after mask.wgsl, before the family's kernel.

struct Params {
  heads: u32,
  len: u32,
  dim: u32,
  scale: f32,
  mask_kind: u32,
  mask_param: u32,
  row_words: u32,
  bias_mode: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q_in: array<f32>;
@group(0) @binding(2) var<storage, read> k_in: array<f32>;
@group(0) @binding(3) var<storage, read> v_in: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> mask_bits: array<u32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read_write> stats: array<f32>;

fn keeps(q: u32, k: u32) -> bool {
  if (!mask_rule_keeps(params.mask_kind, params.mask_param, q, k)) {
    return false;
  }
  if (params.mask_kind == MASK_CUSTOM) {
    let b = mask_bit_index(params.row_words, q, k);
    return ((mask_bits[b.x] >> b.y) & 1u) != 0u;
  }
  return true;
}
