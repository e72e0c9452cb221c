// The recommendation kernels' ordering, joined first: a larger score wins, an equal score goes to the lower
// index (the float64 references use the same rule, ranksBefore in src/kernels/recommend/spec.ts).

const NO_PICK: u32 = 0xffffffffu;
const NEG_BIG: f32 = -0x1.fffffep+127f;

fn ranks_before(ga: f32, ia: u32, gb: f32, ib: u32) -> bool {
  return ga > gb || (ga == gb && ia < ib);
}
