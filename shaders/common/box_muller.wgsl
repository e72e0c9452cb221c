// Accurate f32 Box–Muller normals (shaders/common/philox.wgsl is joined in front), shared by the Random lab
// (shaders/random/generate.wgsl) and the diffusion noise (shaders/diffusion/noise.wgsl); cos_sin_turns also
// serves the sinusoidal embeddings (shaders/nn/embed.wgsl, shaders/diffusion/mlp.wgsl).
// (r cos θ, r sin θ) with r = √(−2 log u1), u1 = 1 − unit(w1) in (0, 1], θ = 2π·unit(w2) − π in [−π, π):
// boxMuller in src/kernels/random/ref.ts (float64 Math.log/cos/sin) is the reference.
//
// WGSL's built-in sin/cos may be off by 2⁻¹¹ absolute and log by 2⁻²¹ absolute near 1 (SwiftShader's are
// about that coarse), so the normals would match float64 only to ~1e-3. Written out here to a few f32 ulps:
// - log(x), x > 0: x = m·2^e with m in [√½, √2); log m = 2 atanh(f/(2 + f)), f = m − 1 exact, by its odd
//   series to s⁹ (|s| ≤ 0.172, truncation < 1e-9); e·ln 2 split into a short exact head and a tail.
// - cos/sin(2π v), v in [−½, ½]: the quadrant q = round(4v) and the remainder v − q/4 in [−⅛, ⅛] are exact in
//   f32, then Taylor polynomials on [−π/4, π/4] (truncation < 2e-9) and a quadrant rotation.

const BM_TWO_PI: f32 = 6.28318530717958648;
const BM_LN2_HI: f32 = 0.693145751953125; // 15 significant bits: e·LN2_HI is exact for |e| < 2⁸
const BM_LN2_LO: f32 = 1.42860682028622677e-6;

fn accurate_log(x: f32) -> f32 {
  let fe = frexp(x); // x = fract·2^exp, fract in [½, 1)
  var m = fe.fract;
  var e = f32(fe.exp);
  if (m < 0.70710678) {
    m = 2.0 * m;
    e = e - 1.0;
  }
  let f = m - 1.0;
  let s = f / (2.0 + f);
  let s2 = s * s;
  let series = s * (2.0 + s2 * (0.666666667 + s2 * (0.4 + s2 * (0.285714286 + s2 * 0.222222222))));
  return e * BM_LN2_HI + (e * BM_LN2_LO + series);
}

// (cos 2πv, sin 2πv) for v in [−½, ½].
fn cos_sin_turns(v: f32) -> vec2<f32> {
  let q = round(4.0 * v);
  let a = BM_TWO_PI * (v - 0.25 * q);
  let a2 = a * a;
  let s = a * (1.0 + a2 * (-0.166666667 + a2 * (8.33333333e-3 + a2 * (-1.98412698e-4 + a2 * 2.75573192e-6))));
  let c = 1.0 + a2 * (-0.5 + a2 * (4.16666667e-2 + a2 * (-1.38888889e-3 + a2 * (2.48015873e-5 - a2 * 2.75573192e-7))));
  let k = i32(q) & 3;
  if (k == 0) {
    return vec2<f32>(c, s);
  }
  if (k == 1) {
    return vec2<f32>(-s, c);
  }
  if (k == 2) {
    return vec2<f32>(-c, -s);
  }
  return vec2<f32>(s, -c);
}

// Two normals from two Philox words.
fn box_muller(w1: u32, w2: u32) -> vec2<f32> {
  let u1 = 1.0 - philox_unit(w1);
  let r = sqrt(-2.0 * accurate_log(u1));
  // θ = 2π·u2 − π = 2π·(u2 − ½); u2 − ½ is exact in f32.
  return r * cos_sin_turns(philox_unit(w2) - 0.5);
}
