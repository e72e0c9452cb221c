// Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
// A counter-based generator: the same (counter, key) gives the same four words on every GPU and in the
// TypeScript reference (src/kernels/random/philox.ref.ts). WGSL has no 64-bit product, so the high word
// of a 32x32 multiply is assembled from 16-bit halves.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

fn philox_mulhi(a: u32, b: u32) -> u32 {
  let al = a & 0xFFFFu;
  let ah = a >> 16u;
  let bl = b & 0xFFFFu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let hh = ah * bh;
  let mid = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
  return hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn philox_round(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> {
  let hi0 = philox_mulhi(PHILOX_M0, c.x);
  let lo0 = PHILOX_M0 * c.x;
  let hi1 = philox_mulhi(PHILOX_M1, c.z);
  let lo1 = PHILOX_M1 * c.z;
  return vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var r = 0u; r < 9u; r = r + 1u) {
    c = philox_round(c, k);
    k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return philox_round(c, k);
}

// u32 -> [0, 1): the top 24 bits times 2^-24. Exact in f32 and never 1.
fn philox_unit(x: u32) -> f32 {
  return f32(x >> 8u) * (1.0 / 16777216.0);
}
