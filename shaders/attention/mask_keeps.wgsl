// Whether pair (q, k) is kept: the mask rule, and for a custom mask its bit. Joined (after mask.wgsl) into
// the kernels that declare `params` (mask_kind, mask_param, row_words) and the `mask_bits` binding: the
// scores, fused and pooled-weights kernels.
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
