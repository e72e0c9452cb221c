/**
 * Philox4x32-10 in TypeScript: the CPU reference of shaders/common/philox.wgsl, bit-identical to the GPU
 * for every (counter, key); checked against the Random123 known-answer vectors (tests/unit/philox.test.ts).
 */
import { PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1 } from './spec';

type Words4 = [number, number, number, number];

/** High 32 bits of the 64-bit product of two u32 values. */
export function mulhi32(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

export function philox4x32(counter: Readonly<Words4>, key: readonly [number, number], rounds = 10): Words4 {
  let [c0, c1, c2, c3] = counter.map((x) => x >>> 0) as Words4;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let r = 0; r < rounds; r++) {
    if (r > 0) {
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    const hi0 = mulhi32(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  return [c0, c1, c2, c3];
}

/** u32 -> [0, 1): top 24 bits times 2^-24 (exact in f32, never 1). */
export function unitFloat(x: number): number {
  return (x >>> 8) * 2 ** -24;
}
