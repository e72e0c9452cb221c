// Central-moment accumulators (count, mean, M2, M3, M4) and their pairwise merge (Chan et al. 1979;
// Pébay 2008). Written with the fractions na/n and nb/n so no product of counts can overflow f32.
// Adding one value x is merging with (1, x, 0, 0, 0): a Welford/Terriberry update.

struct Moments {
  n: f32,
  mean: f32,
  m2: f32,
  m3: f32,
  m4: f32,
};

fn moments_empty() -> Moments {
  return Moments(0.0, 0.0, 0.0, 0.0, 0.0);
}

fn moments_merge(a: Moments, b: Moments) -> Moments {
  if (b.n == 0.0) {
    return a;
  }
  if (a.n == 0.0) {
    return b;
  }
  let n = a.n + b.n;
  let fa = a.n / n;
  let fb = b.n / n;
  let d = b.mean - a.mean;
  let d2 = d * d;
  let mean = a.mean + d * fb;
  let m2 = a.m2 + b.m2 + d2 * a.n * fb;
  let m3 = a.m3 + b.m3 + d2 * d * a.n * fb * (fa - fb) + 3.0 * d * (fa * b.m2 - fb * a.m2);
  let m4 = a.m4 + b.m4 + d2 * d2 * a.n * fb * (fa * fa - fa * fb + fb * fb)
    + 6.0 * d2 * (fa * fa * b.m2 + fb * fb * a.m2) + 4.0 * d * (fa * b.m3 - fb * a.m3);
  return Moments(n, mean, m2, m3, m4);
}
