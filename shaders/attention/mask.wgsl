// Attention mask rules, shared by the scores, weights·V, fused and pooled-weights kernels (joined as text).
// Kinds match MASK_KIND_ID in src/kernels/attention/attention.ref.ts. `param` is the padding's valid length
// or the window's width. The custom mask needs a storage buffer, so kernels test it themselves:
// keep = mask_rule_keeps(...) && (kind != MASK_CUSTOM || <bit set>).

const MASK_NONE: u32 = 0u;
const MASK_CAUSAL: u32 = 1u;
const MASK_PADDING: u32 = 2u;
const MASK_WINDOW_CAUSAL: u32 = 3u;
const MASK_WINDOW: u32 = 4u;
const MASK_CUSTOM: u32 = 5u;

// Written for masked entries of the "masked" stage (WGSL rejects infinite constants). Any value at or
// below it counts as masked. Equal to SOFTMAX_EMPTY in shaders/common/online_softmax.wgsl.
const MASKED: f32 = -3.0e38;

fn mask_rule_keeps(kind: u32, param: u32, q: u32, k: u32) -> bool {
  switch kind {
    case 1u: { return k <= q; }
    case 2u: { return k < param; }
    case 3u: { return k <= q && q - k < param; }
    case 4u: { return select(k - q, q - k, q >= k) < param; }
    default: { return true; }
  }
}

// Bit (q, k) of a custom mask packed as `row_words` u32 words per query row, bit k % 32 of word k / 32.
fn mask_bit_index(row_words: u32, q: u32, k: u32) -> vec2<u32> {
  return vec2<u32>(q * row_words + (k >> 5u), k & 31u);
}

// Keys [x, y) that can be kept by any query in q_first..q_last (a superset: tiles outside it are skipped).
fn mask_key_range(kind: u32, param: u32, q_first: u32, q_last: u32, len: u32) -> vec2<u32> {
  let qf = i32(q_first);
  let ql = i32(q_last);
  let w = i32(param);
  var lo = 0;
  var hi = i32(len);
  switch kind {
    case 1u: { hi = ql + 1; }
    case 2u: { hi = w; }
    case 3u: { lo = qf - w + 1; hi = ql + 1; }
    case 4u: { lo = qf - w + 1; hi = ql + w; }
    default: { }
  }
  lo = clamp(lo, 0, i32(len));
  hi = clamp(hi, lo, i32(len));
  return vec2<u32>(u32(lo), u32(hi));
}
