/**
 * <ks-diffusion-image-view> in real Chromium: labelled x_t / x̂₀ grids drawn from the given arrays (pixels
 * read back), data tables with per-image mean / std / nearest training image, PNG export buttons that
 * download, and a clear message for arrays that are too short.
 */
import { afterEach, describe, expect, it } from 'vitest';
import '../../src/ui/diffusion/image-view';
import { imageStats, type KsDiffusionImageView } from '../../src/ui/diffusion/image-view';

afterEach(() => document.querySelectorAll('ks-diffusion-image-view').forEach((e) => e.remove()));

async function mount(props: Partial<KsDiffusionImageView>): Promise<KsDiffusionImageView> {
  const el = document.createElement('ks-diffusion-image-view');
  Object.assign(el, props);
  document.body.append(el);
  await el.updateComplete;
  return el;
}

/** k images of 4×4: image n is constant c_n except pixel 0, which is −1. */
function images(consts: number[]): Float32Array {
  const out = new Float32Array(consts.length * 16);
  consts.forEach((c, n) => {
    out.fill(c, n * 16, (n + 1) * 16);
    out[n * 16] = -1;
  });
  return out;
}

describe('ks-diffusion-image-view', () => {
  it('draws labelled x_t and x̂₀ grids, with tables and named export buttons', async () => {
    const xt = images([1, 0, -0.5, 0.25]);
    const x0 = images([0.5, 0.5, 0.5, 0.5]);
    const data = images([1, 0.5]);
    const el = await mount({ size: 4, count: 4, t: 250, xt, x0, data });
    const root = el.shadowRoot!;
    const caps = [...root.querySelectorAll('figcaption')].map((c) => c.textContent!.trim());
    expect(caps).toEqual(['x_t at t = 250', 'Predicted x̂₀', 'Training images (2 shown)']);
    const canvas = root.querySelector<HTMLCanvasElement>('canvas[data-grid="xt"]')!;
    expect(canvas.getAttribute('aria-labelledby')).toBe('cap-xt');
    // 4 images → 2 columns; scale 5 for small images; gap 2.
    expect(canvas.width).toBe(2 * (4 * 5 + 2) - 2);
    const px = (x: number, y: number) => [...canvas.getContext('2d')!.getImageData(x, y, 1, 1).data];
    // Image 0: pixel 0 black (−1), the rest white (1). Image 1 (second column) grey (0 → 128).
    expect(px(2, 2)).toEqual([0, 0, 0, 255]);
    expect(px(12, 12)).toEqual([255, 255, 255, 255]);
    expect(px(22 + 12, 12)).toEqual([128, 128, 128, 255]);
    // Buttons with the contract's names.
    const buttons = [...root.querySelectorAll('button')].map((b) => b.textContent!.trim());
    expect(buttons).toEqual(['Export x_t grid (PNG)', 'Export x̂₀ grid (PNG)']);
    // Tables behind <details>: one row per image with mean, std and the nearest training image.
    const details = root.querySelectorAll('details');
    expect(details).toHaveLength(2);
    expect(details[0]!.open).toBe(false);
    const rows = [...root.querySelectorAll('table[aria-label="x_t at t = 250"] tbody tr')];
    expect(rows).toHaveLength(4);
    const cells = rows[0]!.querySelectorAll('td');
    const mean0 = (15 * 1 - 1) / 16;
    expect(Number(cells[0]!.getAttribute('data-value'))).toBeCloseTo(mean0, 6);
    expect(Number(cells[1]!.getAttribute('data-value'))).toBeCloseTo(
      Math.sqrt((15 * (1 - mean0) ** 2 + (-1 - mean0) ** 2) / 16),
      6,
    );
    // x_t image 0 equals training image 1 exactly: distance 0.
    expect(Number(cells[2]!.getAttribute('data-value'))).toBe(0);
    expect(cells[2]!.textContent).toContain('#1');
  });

  it('export buttons download PNGs named after the grid and t', async () => {
    const el = await mount({ size: 4, count: 1, t: 7, xt: images([0.3]), x0: images([0.1]) });
    const names: string[] = [];
    const onClick = (e: Event) => {
      const a = e.target as HTMLAnchorElement;
      if (a.tagName === 'A' && a.download) {
        names.push(a.download);
        expect(a.href).toMatch(/^blob:/);
        e.preventDefault();
      }
    };
    document.addEventListener('click', onClick, true);
    try {
      const [bx, b0] = [...el.shadowRoot!.querySelectorAll('button')];
      bx!.click();
      b0!.click();
      // Waits for both downloads (PNG encoding is asynchronous): up to 10 s, as a loaded 2-core machine needs.
      for (let i = 0; i < 500 && names.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      document.removeEventListener('click', onClick, true);
    }
    expect(names).toEqual(['diffusion-xt-t7.png', 'diffusion-x0hat-t7.png']);
  });

  it('says what is wrong when an array is too short, and waits for missing arrays', async () => {
    const el = await mount({ size: 4, count: 3, t: 1, xt: new Float32Array(20), x0: null });
    const root = el.shadowRoot!;
    expect(root.querySelector('[role="alert"]')!.textContent).toContain(
      'Expected 3 images of 4×4 (48 values); got 20.',
    );
    expect(root.querySelector('canvas')).toBeNull();
    expect(root.textContent).toContain('No images yet.');
    // Updating the property redraws.
    el.xt = images([0, 0, 0]);
    await el.updateComplete;
    expect(root.querySelector('[role="alert"]')).toBeNull();
    expect(root.querySelector('canvas[data-grid="xt"]')).not.toBeNull();
  });

  it('64 glyph-sized images are drawn at scale 2 (8 columns), so the two grids fit side by side', async () => {
    const px = 28 * 28;
    const xt = new Float32Array(64 * px);
    const el = await mount({ size: 28, count: 64, t: 3, xt, x0: xt });
    const c = el.shadowRoot!.querySelector<HTMLCanvasElement>('canvas[data-grid="x0"]')!;
    expect(c.width).toBe(8 * (28 * 2 + 2) - 2);
    expect(c.height).toBe(8 * (28 * 2 + 2) - 2);
    // The training images use the same scale.
    const withData = await mount({ size: 28, count: 64, t: 3, xt, x0: xt, data: new Float32Array(16 * px) });
    const d = withData.shadowRoot!.querySelector<HTMLCanvasElement>('canvas[data-grid="data"]')!;
    expect(d.width).toBe(8 * (28 * 2 + 2) - 2);
    expect(d.height).toBe(2 * (28 * 2 + 2) - 2);
    const few = await mount({ size: 28, count: 4, t: 3, xt, x0: null });
    expect(few.shadowRoot!.querySelector<HTMLCanvasElement>('canvas[data-grid="xt"]')!.width).toBe(
      2 * (28 * 3 + 2) - 2,
    );
  });

  it('imageStats: two-pass mean and std, nearest by RMS distance', () => {
    const s = imageStats(new Float32Array([1, 3, 0, 0]), 2, 2, new Float32Array([0, 0, 1, 2]));
    expect(s[0]).toEqual({ mean: 2, std: 1, nearest: Math.sqrt(0.5), nearestIndex: 1 });
    expect(s[1]).toEqual({ mean: 0, std: 0, nearest: 0, nearestIndex: 0 });
  });
});
