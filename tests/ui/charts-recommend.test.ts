/**
 * The recommendation lab's charts are pure functions of their data: same data → same SVG (snapshots of a
 * fixed input), and the marks are right — Pareto points, tooltips, the ringed setting and the baseline;
 * funnel bars ∝ log(1 + items) with the count line and the stage times; grouped category bars ∝ share
 * with KL in the legend. Also the lab's palette: contrast in both themes and distinct category colours.
 * Geometry is compared to 1e-9 px (d3 writes full doubles into these attributes, and paths are rounded to
 * 1e-3 px by d3-path, which we do not read back).
 */
import { describe, expect, it } from 'vitest';
import { renderCategoryBars, type CategorySeries } from '../../src/charts/category-bars';
import { funnelBarWidth, renderFunnel, type FunnelBar } from '../../src/charts/funnel';
import { renderPareto, type ParetoCurve, type ParetoOptions } from '../../src/charts/pareto';
import { CATEGORY_COLORS, METHOD_COLORS, chipTextColor, contrastRatio } from '../../src/ui/recommend/palette';

function svg(): SVGSVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  document.body.append(el);
  return el;
}

const num = (el: Element, attr: string) => Number(el.getAttribute(attr));
const m = (ndcg10: number, ild: number, coverage: number, kl = 0.2) => ({ ndcg10, ild, coverage, kl });

const curves: ParetoCurve[] = [
  {
    method: 'mmr',
    param: 'lambda',
    points: [
      { value: 0, metrics: m(0.3, 0.8, 6) },
      { value: 0.3, metrics: m(0.412, 0.61, 4.5) },
      { value: 1, metrics: m(0.45, 0.2, 2) },
    ],
  },
  {
    method: 'dpp',
    param: 'theta',
    points: [
      { value: 0, metrics: m(0.28, 0.75, 5.5) },
      { value: 0.5, metrics: m(0.4, 0.5, 4) },
      { value: 0.99, metrics: m(0.44, 0.25, 2.2) },
    ],
  },
];

const paretoOptions = (over: Partial<ParetoOptions> = {}): ParetoOptions => ({
  curves,
  baseline: m(0.45, 0.2, 2),
  current: { method: 'mmr', value: 0.3 },
  x: 'ild',
  y: 'ndcg10',
  width: 480,
  height: 300,
  colors: METHOD_COLORS,
  labels: { mmr: 'MMR', dpp: 'DPP', relevance: 'Relevance only' },
  ...over,
});

describe('renderPareto', () => {
  it('draws one curve with markers per method, point tooltips, the baseline and the current setting ringed', () => {
    const el = svg();
    renderPareto(el, paretoOptions());
    expect(el.getAttribute('role')).toBe('img');
    expect(el.getAttribute('aria-label')).toMatch(/NDCG@10.*Intra-list diversity/);
    expect([...el.querySelectorAll('path.curve')].map((p) => p.getAttribute('data-method'))).toEqual([
      'mmr',
      'dpp',
    ]);
    const points = [...el.querySelectorAll('circle.point')];
    expect(points).toHaveLength(6);
    const titles = points.map((p) => p.querySelector('title')!.textContent);
    expect(titles).toContain('MMR λ = 0.3: NDCG@10 0.412, ILD 0.61');
    expect(titles).toContain('DPP θ = 0.99: NDCG@10 0.440, ILD 0.25');
    // The ring sits exactly on the MMR λ = 0.3 point.
    const ring = el.querySelector('circle.current')!;
    const at = el.querySelector('circle.point[data-method="mmr"][data-value="0.3"]')!;
    expect(num(ring, 'cx')).toBeCloseTo(num(at, 'cx'), 9);
    expect(num(ring, 'cy')).toBeCloseTo(num(at, 'cy'), 9);
    expect(ring.querySelector('title')!.textContent).toBe('Current setting: MMR λ = 0.3');
    // Higher NDCG is drawn higher (SVG y down), larger ILD further right.
    const hi = el.querySelector('circle.point[data-method="mmr"][data-value="1"]')!;
    const lo = el.querySelector('circle.point[data-method="mmr"][data-value="0"]')!;
    expect(num(hi, 'cy')).toBeLessThan(num(lo, 'cy'));
    expect(num(hi, 'cx')).toBeLessThan(num(lo, 'cx'));
    const base = el.querySelector('rect.baseline')!;
    expect(base.querySelector('title')!.textContent).toBe('Relevance only: NDCG@10 0.450, ILD 0.20');
    // The baseline equals MMR at λ = 1 here: the square is centred on that point.
    expect(num(base, 'x') + 5).toBeCloseTo(num(hi, 'cx'), 9);
    const text = el.textContent!;
    expect(text).toContain('NDCG@10 (held-out clicks, 0–1)');
    expect(text).toContain('Intra-list diversity (mean 1 − cos, 0–2)');
    expect(el.querySelector('.legend')!.textContent).toBe('MMR (λ 0 → 1)DPP (θ 0 → 1)Relevance only');
    expect(el.outerHTML).not.toContain('NaN');
    el.remove();
  });

  it('against coverage: tooltips in categories; a value between sweep points rings the nearest one', () => {
    const el = svg();
    renderPareto(el, paretoOptions({ x: 'coverage', current: { method: 'dpp', value: 0.6 } }));
    const titles = [...el.querySelectorAll('circle.point title')].map((t) => t.textContent);
    expect(titles).toContain('MMR λ = 0.3: NDCG@10 0.412, coverage 4.5 categories');
    const ring = el.querySelector('circle.current')!;
    const at = el.querySelector('circle.point[data-method="dpp"][data-value="0.5"]')!;
    expect(num(ring, 'cx')).toBeCloseTo(num(at, 'cx'), 9);
    expect(ring.querySelector('title')!.textContent).toBe(
      'Current setting: DPP θ = 0.6 (nearest sweep point θ = 0.5)',
    );
    el.remove();
  });

  it('rings the baseline for relevance only, skips non-finite points, and re-renders deterministically', () => {
    const el = svg();
    const withNaN: ParetoCurve[] = [
      curves[0]!,
      { ...curves[1]!, points: [...curves[1]!.points, { value: 1, metrics: m(NaN, 0.3, 2) }] },
    ];
    const o = paretoOptions({ curves: withNaN, current: { method: 'relevance', value: 0.5 } });
    renderPareto(el, o);
    const first = el.outerHTML;
    const ring = el.querySelector('circle.current')!;
    const base = el.querySelector('rect.baseline')!;
    expect(num(ring, 'cx')).toBeCloseTo(num(base, 'x') + 5, 9);
    expect(el.querySelectorAll('circle.point')).toHaveLength(6);
    expect(first).not.toContain('NaN');
    renderPareto(el, o);
    expect(el.outerHTML).toBe(first);
    expect(first).toMatchSnapshot();
    el.remove();
  });
});

describe('renderPareto legend', () => {
  it('wraps onto more lines when narrow and the plot starts below it', () => {
    const three: ParetoCurve[] = [...curves, { ...curves[0]!, method: 'calibration' }];
    const labels = { mmr: 'MMR', dpp: 'DPP', calibration: 'Calibration', relevance: 'Relevance only' };
    const el = svg();
    renderPareto(el, paretoOptions({ curves: three, labels, width: 720 }));
    const topOf = () => Math.min(...[...el.querySelectorAll('circle.point')].map((p) => num(p, 'cy')));
    const lines = () =>
      new Set([...el.querySelectorAll('.legend > g')].map((g) => g.getAttribute('transform')!.split(',')[1]))
        .size;
    expect(lines()).toBe(1);
    const wideTop = topOf();
    renderPareto(el, paretoOptions({ curves: three, labels, width: 320 }));
    expect(lines()).toBeGreaterThan(1);
    // The highest point (NDCG 0.45) is drawn lower: the plot area begins under the second legend line.
    expect(topOf()).toBeGreaterThan(wideTop);
    el.remove();
  });
});

const stages: FunnelBar[] = [
  { name: 'catalogue', label: 'Catalogue', items: 16384, ms: null },
  { name: 'recall', label: 'Recall (3 channels)', items: 600, ms: 1.84, detail: 'U·Vᵀ → top 500' },
  { name: 'pre-rank', label: 'Pre-rank', items: 100, ms: 0.41 },
  { name: 'rank', label: 'Rank (MLP)', items: 50, ms: 12.5 },
  { name: 're-rank', label: 'Re-rank', items: 10, ms: 0.27 },
];

describe('renderFunnel', () => {
  it('bars ∝ log(1 + items), the count line, and the measured time of each stage', () => {
    const el = svg();
    renderFunnel(el, stages, { width: 500 });
    expect(el.querySelector('text.flow')!.textContent).toBe('16,384 → 600 → 100 → 50 → 10');
    expect(el.getAttribute('aria-label')).toBe('Items per user at each stage: 16,384 → 600 → 100 → 50 → 10');
    const bars = [...el.querySelectorAll('g.stage rect.bar')];
    expect(bars).toHaveLength(5);
    const widths = bars.map((b) => num(b, 'width'));
    const full = 500 - 24;
    expect(widths[0]).toBeCloseTo(full, 9);
    stages.forEach((s, i) =>
      expect(widths[i]! / widths[0]!).toBeCloseTo(Math.log1p(s.items) / Math.log1p(16384), 9),
    );
    // Centred: every bar has the same midpoint.
    for (const b of bars) expect(num(b, 'x') + num(b, 'width') / 2).toBeCloseTo(250, 9);
    const counts = [...el.querySelectorAll('text.stage-count')].map((t) => t.textContent);
    expect(counts).toEqual([
      '16,384 items · not measured',
      '600 items · 1.84 ms',
      '100 items · 0.41 ms',
      '50 items · 12.5 ms',
      '10 items · 0.27 ms',
    ]);
    expect(el.querySelector('g.stage[data-stage="recall"] > title')!.textContent).toBe(
      'Recall (3 channels): 600 items per user, 1.84 ms. U·Vᵀ → top 500',
    );
    el.remove();
  });

  it('a stage of 0 or 1 item still shows; output is deterministic', () => {
    expect(funnelBarWidth(0, 100, 400)).toBe(4);
    expect(funnelBarWidth(1, 16384, 400)).toBeCloseTo(
      Math.max(4, (400 * Math.log(2)) / Math.log1p(16384)),
      12,
    );
    const el = svg();
    renderFunnel(el, stages, { width: 420, title: 't' });
    const first = el.outerHTML;
    renderFunnel(el, stages, { width: 420, title: 't' });
    expect(el.outerHTML).toBe(first);
    expect(first).not.toContain('NaN');
    expect(first).toMatchSnapshot();
    el.remove();
  });
});

const series: CategorySeries[] = [
  { key: 'history', label: 'History p', color: 'currentColor', values: [0.8, 0.2, 0] },
  {
    key: 'relevance',
    label: 'Relevance only q',
    color: METHOD_COLORS.relevance,
    values: [1, 0, 0],
    kl: 0.3219,
  },
  { key: 'mmr', label: 'MMR q', color: METHOD_COLORS.mmr, values: [0.6, 0.3, 0.1], kl: 0.05 },
];

describe('renderCategoryBars', () => {
  it('one group per category, one bar per series with height ∝ share, KL in the legend, tooltips', () => {
    const el = svg();
    renderCategoryBars(el, series, {
      width: 520,
      height: 260,
      title: 'shares',
      categoryColors: CATEGORY_COLORS,
      opacity: { history: 0.55 },
    });
    const groups = [...el.querySelectorAll('g.group')];
    expect(groups.map((g) => g.getAttribute('data-category'))).toEqual(['0', '1', '2']);
    const bar = (c: number, key: string) =>
      el.querySelector(`g.group[data-category="${c}"] rect.bar[data-series="${key}"]`)!;
    const h = (c: number, key: string) => num(bar(c, key), 'height');
    expect(h(0, 'history') / h(0, 'relevance')).toBeCloseTo(0.8, 9);
    expect(h(1, 'mmr') / h(0, 'relevance')).toBeCloseTo(0.3, 9);
    expect(h(2, 'history')).toBe(0);
    // Bars stand on the same baseline.
    expect(num(bar(0, 'mmr'), 'y') + h(0, 'mmr')).toBeCloseTo(
      num(bar(0, 'history'), 'y') + h(0, 'history'),
      9,
    );
    expect(bar(0, 'history').getAttribute('fill-opacity')).toBe('0.55');
    expect(bar(1, 'mmr').querySelector('title')!.textContent).toBe('C1: MMR q 30.0%');
    expect(el.querySelector('.legend')!.textContent).toBe(
      'History pRelevance only q (KL 0.322)MMR q (KL 0.050)',
    );
    expect([...el.querySelectorAll('rect.swatch')].map((s) => s.getAttribute('fill'))).toEqual(
      CATEGORY_COLORS.slice(0, 3),
    );
    expect(el.querySelector('.x-axis')!.textContent).toBe('C0C1C2');
    el.remove();
  });

  it('wraps a long legend above the plot and re-renders deterministically', () => {
    const el = svg();
    const o = { width: 320, height: 240, title: 't', names: ['a', 'b', 'c'] };
    renderCategoryBars(el, series, o);
    const first = el.outerHTML;
    const ys = [...el.querySelectorAll('.legend > g')].map((g) => g.getAttribute('transform'));
    expect(new Set(ys.map((t) => t!.split(',')[1])).size).toBeGreaterThan(1);
    renderCategoryBars(el, series, o);
    expect(el.outerHTML).toBe(first);
    expect(first).not.toContain('NaN');
    expect(first).toMatchSnapshot();
    el.remove();
  });
});

/** #rrggbb → OKLab (Björn Ottosson's matrices), for the distinctness check. */
function oklab(hex: string): [number, number, number] {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const v = parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const mm = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [
    0.2104542553 * l + 0.793617785 * mm - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * mm + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * mm - 0.808675766 * s,
  ];
}

describe('the recommendation palette', () => {
  const panels = { light: '#ffffff', dark: '#1a1e24' };
  it('12 category colours, each ≥ 3:1 against both themes’ panels, chip text ≥ 4.5:1, pairwise distinct', () => {
    expect(CATEGORY_COLORS).toHaveLength(12);
    expect(new Set(CATEGORY_COLORS).size).toBe(12);
    for (const c of [...CATEGORY_COLORS, ...Object.values(METHOD_COLORS)]) {
      expect(contrastRatio(c, panels.light)).toBeGreaterThanOrEqual(3);
      expect(contrastRatio(c, panels.dark)).toBeGreaterThanOrEqual(3);
      expect(contrastRatio(c, chipTextColor(c))).toBeGreaterThanOrEqual(4.5);
    }
    let min = Infinity;
    for (let i = 0; i < 12; i++)
      for (let j = i + 1; j < 12; j++) {
        const [a, b] = [oklab(CATEGORY_COLORS[i]!), oklab(CATEGORY_COLORS[j]!)];
        min = Math.min(min, Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
      }
    // OKLab distance 0.02 is about one just-noticeable difference; 0.13 is far apart.
    expect(min).toBeGreaterThanOrEqual(0.13);
    expect(new Set(Object.values(METHOD_COLORS)).size).toBe(4);
  });
});
