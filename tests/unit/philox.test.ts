import { describe, expect, it } from 'vitest';
import { mulhi32, philox4x32, unitFloat } from '../../src/kernels/random/philox.ref';
import { rawWords, sampleReference } from '../../src/kernels/random/ref';

const hex = (w: number[]) => w.map((x) => x.toString(16).padStart(8, '0')).join(' ');

describe('Philox4x32-10 reference', () => {
  // Known-answer vectors from the Random123 suite (../shared/DESIGN.md).
  it.each([
    [[0, 0, 0, 0], [0, 0], '6627e8d5 e169c58d bc57ac4c 9b00dbd8'],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      '408f276d 41c83b0e a20bc7c6 6d5451fd',
    ],
    [
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
      'd16cfe09 94fdcceb 5001e420 24126ea1',
    ],
  ] as const)('matches the known answer for counter %j key %j', (ctr, key, expected) => {
    expect(hex(philox4x32([...ctr], [...key]))).toBe(expected);
  });

  it('mulhi32 equals the BigInt product high word', () => {
    const cases = [0, 1, 0xffff, 0x10000, 0xd2511f53, 0xcd9e8d57, 0xffffffff, 0x80000000, 123456789];
    for (const a of cases) {
      for (const b of cases) {
        expect(mulhi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
      }
    }
  });

  it('maps words to [0, 1) exactly in f32 and never returns 1', () => {
    expect(unitFloat(0)).toBe(0);
    expect(unitFloat(0xffffffff)).toBe(1 - 2 ** -24);
    expect(Math.fround(unitFloat(0xdeadbeef))).toBe(unitFloat(0xdeadbeef));
  });

  it('lays raw words out as block i/4, word i%4', () => {
    const w = rawWords(10, { seed: 7 });
    const b0 = philox4x32([0, 0, 0, 0], [7, 0]);
    const b2 = philox4x32([2, 0, 0, 0], [7, 0]);
    expect([...w.slice(0, 4)]).toEqual(b0);
    expect([...w.slice(8, 10)]).toEqual(b2.slice(0, 2));
  });

  it('gives different streams for different seeds and the same stream for the same seed', () => {
    expect([...rawWords(8, { seed: 1 })]).toEqual([...rawWords(8, { seed: 1 })]);
    expect([...rawWords(8, { seed: 1 })]).not.toEqual([...rawWords(8, { seed: 2 })]);
    expect([...rawWords(8, { seed: 1, stream: 1 })]).not.toEqual([...rawWords(8, { seed: 1 })]);
  });

  it('keeps transforms in their supports', () => {
    for (const x of sampleReference('uniform', 4000, { seed: 3 })) expect(x >= 0 && x < 1).toBe(true);
    for (const x of sampleReference('standardized', 4000, { seed: 3 }))
      expect(Math.abs(x)).toBeLessThanOrEqual(Math.sqrt(3));
    for (const x of sampleReference('irwin-hall', 2000, { seed: 3 }))
      expect(Math.abs(x)).toBeLessThanOrEqual(6);
    for (const x of sampleReference('box-muller', 4000, { seed: 3 })) expect(Number.isFinite(x)).toBe(true);
  });
});
