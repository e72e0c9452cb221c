/**
 * mulberry32: a tiny seeded generator of uniforms in [0, 1), for choices that need to be repeatable but not
 * statistically strong (glyph fonts and jitter, property-based test cases, URL fuzzing). The labs' random
 * numbers come from Philox (src/kernels/random), never from this.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
