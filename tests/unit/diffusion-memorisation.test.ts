/** The Diffusion lab's memorisation readout (src/ui/diffusion/memorisation.ts): statistic and verdict. */
import { describe, expect, it } from 'vitest';
import {
  GENERALISES_BELOW,
  MEMORISES_AT,
  MEMO_RADIUS,
  dataSpacing,
  memorisation,
  verdictOf,
  verdictText,
} from '../../src/ui/diffusion/memorisation';

describe('memorisation readout', () => {
  const data = new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]);

  it('measures each sample against its nearest training point (Euclidean in 2D)', () => {
    // Samples at distances 0, 0.03, 0.2 and 0.5 from points 0, 1, 2, 3.
    const pos = new Float32Array([0, 0, 1.03, 0, 0, 1.2, 1.5, 1]);
    const m = memorisation(pos, data, 2);
    expect(Array.from(m.nearest)).toEqual([0, 1, 2, 3]);
    // f32 inputs: the distances are those of the f32-rounded coordinates, within 1e-6 of the decimals.
    [0, 0.03, 0.2, 0.5].forEach((d, i) => expect(Math.abs(m.distance[i]! - d)).toBeLessThan(1e-6));
    expect(m.radius).toBe(MEMO_RADIUS);
    expect(m.fraction).toBe(0.5); // two of four within 0.05
    expect(Math.abs(m.median - 0.2)).toBeLessThan(1e-6); // the upper median of four
  });

  it('uses the RMS distance per pixel for images', () => {
    const img = new Float32Array([1, 1, 1, 1, -1, -1, -1, -1]); // two 2×2 images
    const pos = new Float32Array([1, 1, 1, 0.92, -1, -1, -1, 1]); // one pixel off by 0.08, one by 2
    const m = memorisation(pos, img, 4);
    expect(Array.from(m.nearest)).toEqual([0, 1]);
    expect(Math.abs(m.distance[0]! - Math.sqrt(0.0064 / 4))).toBeLessThan(1e-6);
    expect(Math.abs(m.distance[1]! - Math.sqrt(4 / 4))).toBeLessThan(1e-6);
    expect(m.fraction).toBe(0.5);
  });

  it('the verdict follows the measured fraction at the stated thresholds', () => {
    expect(verdictOf(1)).toBe('memorises');
    expect(verdictOf(MEMORISES_AT)).toBe('memorises');
    expect(verdictOf(MEMORISES_AT - 1e-9)).toBe('partly');
    expect(verdictOf(GENERALISES_BELOW)).toBe('partly');
    expect(verdictOf(GENERALISES_BELOW - 1e-9)).toBe('generalises');
    expect(verdictOf(0)).toBe('generalises');
    const at = (fraction: number) => verdictText({ ...memorisation(data, data, 2), fraction }, false);
    expect(at(0.95)).toMatch(/^at least 90% within 0\.05, so the chain reproduces its training points/);
    expect(at(0.7)).toMatch(/^between 50% and 90% within 0\.05: partly copies/);
    expect(at(0.1)).toMatch(/^under 50% within 0\.05: most samples are new/);
    // A trained model's samples are judged by the same measure (no verdict by denoiser).
    expect(verdictText({ ...memorisation(data, data, 2), fraction: 0.976 }, false)).toMatch(/memorisation/);
  });

  it('data spacing: the median distance from a training point to its nearest other one', () => {
    expect(dataSpacing(data, 2)).toBe(1);
    expect(dataSpacing(new Float32Array([0, 0]), 2)).toBeNull();
    const line = new Float32Array([0, 0, 0.01, 0, 0.03, 0, 0.1, 0]); // nearest gaps 0.01, 0.01, 0.02, 0.07
    expect(Math.abs(dataSpacing(line, 2)! - 0.02)).toBeLessThan(1e-6);
  });
});
