/**
 * The recommendation lab's views mounted with a float64 fixture (recommend-fixture.ts) in real Chromium:
 * sections and headings, charts with role="img" and names, export buttons (and what the CSV/SVG files
 * hold), the chips' colours, marks and titles, keyboard movement in a list, and the answer panel's
 * sentences — their numbers come from the result, so changing the fixture changes the sentence.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RecommendResult } from '../../src/engine/recommend/types';
import { RERANK_METHODS } from '../../src/kernels/recommend/spec';
import '../../src/ui/recommend/answer-panel';
import { bestTradeOff, diversityAnswer, pipelineAnswer } from '../../src/ui/recommend/answer-panel';
import '../../src/ui/recommend/categories-panel';
import '../../src/ui/recommend/funnel-panel';
import '../../src/ui/recommend/lists-panel';
import { CATEGORY_COLORS, chipTextColor, metricText } from '../../src/ui/recommend/palette';
import '../../src/ui/recommend/pareto-panel';
import { until } from './helpers';
import { recommendFixture } from './recommend-fixture';

let fixture: RecommendResult;
beforeAll(() => {
  fixture = recommendFixture();
});

const clone = (): RecommendResult => structuredClone(fixture);

type Tag =
  | 'ks-recommend-funnel'
  | 'ks-recommend-lists'
  | 'ks-recommend-categories'
  | 'ks-recommend-pareto'
  | 'ks-recommend-answer';

async function mount(tag: Tag, result: RecommendResult = fixture) {
  const el = document.createElement(tag) as HTMLElementTagNameMap[Tag] & { result: unknown };
  el.style.width = '900px';
  el.result = result;
  document.body.append(el);
  await el.updateComplete;
  const root = el.shadowRoot!;
  const section = root.querySelector('section')!;
  const heading = root.getElementById(section.getAttribute('aria-labelledby')!)!;
  const buttons = () => [...root.querySelectorAll('button')].map((b) => b.textContent!.trim());
  const button = (name: string) =>
    [...root.querySelectorAll('button')].find((b) => b.textContent!.trim() === name)!;
  return { el, root, section, heading, buttons, button };
}

const TAGS: Tag[] = [
  'ks-recommend-funnel',
  'ks-recommend-lists',
  'ks-recommend-categories',
  'ks-recommend-pareto',
  'ks-recommend-answer',
];

afterEach(() => {
  document.querySelectorAll(TAGS.join(',')).forEach((e) => e.remove());
  vi.restoreAllMocks();
});

/** Captures the next downloads (file name and text) instead of saving them. */
function captureDownloads() {
  const files: { name: string; blob: Blob }[] = [];
  const blobs = new Map<string, Blob>();
  // Real object URLs (the PNG export loads its SVG through one), remembered by URL.
  const real = URL.createObjectURL.bind(URL);
  vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
    const url = real(b);
    blobs.set(url, b as Blob);
    return url;
  });
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    files.push({ name: this.download, blob: blobs.get(this.href)! });
  });
  return files;
}

describe('sections, charts and exports', () => {
  it('every panel is a section named by its heading; charts are images with names', async () => {
    const names: Record<Tag, string> = {
      'ks-recommend-funnel': 'Funnel',
      'ks-recommend-lists': 'Lists',
      'ks-recommend-categories': 'Categories',
      'ks-recommend-pareto': 'Trade-off',
      'ks-recommend-answer': 'The answer',
    };
    const charts: Record<Tag, number> = {
      'ks-recommend-funnel': 1,
      'ks-recommend-lists': 0,
      'ks-recommend-categories': 1,
      'ks-recommend-pareto': 2,
      'ks-recommend-answer': 0,
    };
    for (const tag of Object.keys(names) as Tag[]) {
      const { root, heading } = await mount(tag);
      expect(heading.localName).toBe('h3');
      expect(heading.textContent!.trim()).toBe(names[tag]);
      const svgs = [...root.querySelectorAll('svg')];
      expect(svgs).toHaveLength(charts[tag]);
      for (const s of svgs) {
        expect(s.getAttribute('role')).toBe('img');
        expect(s.getAttribute('aria-label')!.length).toBeGreaterThan(20);
        expect(s.querySelector('title')!.textContent).toBe(s.getAttribute('aria-label'));
      }
    }
  });

  it('the funnel: chart, a table of the stages, PNG/SVG and CSV/JSON exports with the stage numbers', async () => {
    const files = captureDownloads();
    const { root, buttons, button } = await mount('ks-recommend-funnel');
    expect(root.querySelector('svg')!.getAttribute('aria-label')).toContain(
      `${fixture.items.toLocaleString('en-US')} → 600 → 100 → 50 → 10`,
    );
    const rows = [...root.querySelectorAll('table[aria-label="Funnel stages"] tbody tr')];
    expect(rows.map((r) => r.getAttribute('data-key'))).toEqual(fixture.funnel.map((s) => s.name));
    expect(rows[1]!.querySelector('td')!.getAttribute('data-value')).toBe('600');
    expect(rows[0]!.querySelectorAll('td')[1]!.textContent!.trim()).toBe('not measured');
    expect(buttons()).toEqual([
      'Export funnel (PNG)',
      'Export funnel (SVG)',
      'Export funnel table (CSV)',
      'Export funnel table (JSON)',
    ]);
    button('Export funnel table (CSV)').click();
    button('Export funnel (SVG)').click();
    expect(files.map((f) => f.name)).toEqual([
      'kernelscope-recommend-funnel-seed7-user0-table.csv',
      'kernelscope-recommend-funnel-seed7-user0.svg',
    ]);
    const csv = (await files[0]!.blob.text()).trim().split('\n');
    expect(csv[0]).toBe('stage,items per user,time (ms),what it does');
    expect(csv[2]).toBe(
      'Recall (3 channels),600,1.84,"U·Vᵀ → top 500, + 50 popular, + 50 of the recent category"',
    );
    // The PNG is drawn from the standalone SVG (asynchronously), on an opaque background.
    button('Export funnel (PNG)').click();
    await until(() => files.length === 3);
    expect(files[2]!.name).toBe('kernelscope-recommend-funnel-seed7-user0.png');
    expect(files[2]!.blob.type).toBe('image/png');
    const svgText = await files[1]!.blob.text();
    expect(svgText).toContain('role="img"');
    expect(svgText).toContain('600 → 100 → 50 → 10');
  });

  it('the categories and trade-off panels: tables of the numbers and their exports', async () => {
    const files = captureDownloads();
    const cat = await mount('ks-recommend-categories');
    expect(cat.root.querySelectorAll('g.group')).toHaveLength(fixture.categories);
    expect(cat.root.querySelector('.legend')!.textContent).toContain(
      `Relevance only q (KL ${metricText(fixture.metrics.relevance.kl, 3)})`,
    );
    const catRows = cat.root.querySelectorAll('table[aria-label="Category shares"] tbody tr');
    expect(catRows).toHaveLength(fixture.categories + 1);
    expect(cat.buttons()).toEqual([
      'Export categories chart (PNG)',
      'Export categories chart (SVG)',
      'Export category shares (CSV)',
      'Export category shares (JSON)',
    ]);
    const pareto = await mount('ks-recommend-pareto');
    expect(pareto.root.querySelectorAll('circle.current')).toHaveLength(2);
    expect(pareto.root.querySelectorAll('path.curve')).toHaveLength(6);
    const sweepRows = pareto.root.querySelectorAll('table[aria-label="Sweep"] tbody tr');
    expect(sweepRows).toHaveLength(1 + 3 * 11);
    const dpp1 = [...sweepRows[12]!.querySelectorAll('th, td')].map((c) => c.textContent!.trim());
    const d = fixture.sweep[1]!.points[0]!.metrics;
    expect(dpp1).toEqual([
      'DPP',
      'θ',
      '0',
      d.ndcg10.toFixed(3),
      d.ild.toFixed(3),
      d.coverage.toFixed(3),
      d.kl.toFixed(3),
    ]);
    expect(pareto.buttons()).toEqual([
      'Export NDCG vs ILD (PNG)',
      'Export NDCG vs ILD (SVG)',
      'Export NDCG vs coverage (PNG)',
      'Export NDCG vs coverage (SVG)',
      'Export sweep (CSV)',
      'Export sweep (JSON)',
    ]);
    pareto.button('Export sweep (CSV)').click();
    const csv = (await files[0]!.blob.text()).trim().split('\n');
    expect(files[0]!.name).toBe('kernelscope-recommend-sweep-seed7-user0.csv');
    expect(csv).toHaveLength(2 + 33);
    const mmr3 = fixture.sweep[0]!.points[3]!.metrics;
    expect(csv[5]).toBe(`MMR,lambda,0.3,${mmr3.ndcg10},${mmr3.ild},${mmr3.coverage},${mmr3.kl}`);
  });
});

describe('the lists', () => {
  it('four lists of chips coloured by category, clicks marked, titles with relevance and gain, metrics', async () => {
    const { root } = await mount('ks-recommend-lists');
    const lists = [...root.querySelectorAll('ol.chips')];
    expect(lists.map((l) => l.getAttribute('data-method'))).toEqual([...RERANK_METHODS]);
    const heads = [...root.querySelectorAll('.list h4')].map((h) =>
      h.textContent!.replace(/\s+/g, ' ').trim(),
    );
    expect(heads).toEqual([
      'Relevance only',
      'MMR (λ = 0.5) selected',
      'DPP (θ = 0.5)',
      'Calibration (λ = 0.5)',
    ]);
    for (const method of RERANK_METHODS) {
      const chips = [...root.querySelectorAll<HTMLElement>(`ol[data-method="${method}"] li.chip`)];
      const entries = fixture.lists[method];
      expect(chips).toHaveLength(entries.length);
      chips.forEach((chip, k) => {
        const e = entries[k]!;
        expect(chip.textContent!.trim()).toBe(String(e.item));
        expect(chip.classList.contains('clicked')).toBe(e.clicked);
        const bg = CATEGORY_COLORS[e.category]!;
        const rgb = (h: string) => `rgb(${[1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)).join(', ')})`;
        expect(getComputedStyle(chip).backgroundColor).toBe(rgb(bg));
        expect(getComputedStyle(chip).color).toBe(rgb(chipTextColor(bg)));
        // Gains below 10⁻³ in magnitude (late DPP d²) print in exponent form.
        const gain = Math.abs(e.gain) < 1e-3 && e.gain !== 0 ? e.gain.toExponential(2) : e.gain.toFixed(3);
        expect(chip.title).toMatch(new RegExp(`^Item ${e.item}, rank ${k + 1}, category C${e.category}: `));
        expect(chip.title).toContain(`relevance ${e.relevance.toFixed(3)}, `);
        expect(chip.title).toContain(` ${gain};`);
        expect(chip.title.endsWith(e.clicked ? 'a held-out click' : 'not clicked')).toBe(true);
        expect(chip.getAttribute('aria-label')).toBe(chip.title);
      });
      const ndcg = root.querySelector(`.list[data-method="${method}"] dd[data-metric="ndcg10"]`)!;
      expect(ndcg.textContent).toBe(fixture.metrics[method].ndcg10.toFixed(3));
      const cov = root.querySelector(`.list[data-method="${method}"] dd[data-metric="coverage"]`)!;
      expect(cov.textContent).toBe(`${fixture.metrics[method].coverage} of 12`);
    }
    expect(root.querySelector('ol[data-method="mmr"] li.chip')!.getAttribute('title')).toContain('MMR score');
    expect(root.querySelector('ol[data-method="dpp"] li.chip')!.getAttribute('title')).toContain(
      'DPP gain d²',
    );
  });

  it('one tab stop per list; arrow keys, Home and End move focus; the focused chip is described', async () => {
    const { el, root } = await mount('ks-recommend-lists');
    const chips = () => [...root.querySelectorAll<HTMLElement>('ol[data-method="dpp"] li.chip')];
    expect(chips().filter((c) => c.tabIndex === 0)).toHaveLength(1);
    chips()[0]!.focus();
    const key = async (k: string) => {
      root.activeElement!.dispatchEvent(
        new KeyboardEvent('keydown', { key: k, bubbles: true, composed: true }),
      );
      await el.updateComplete;
      await el.updateComplete;
    };
    await key('ArrowRight');
    expect(root.activeElement).toBe(chips()[1]);
    expect(chips()[1]!.tabIndex).toBe(0);
    expect(chips()[0]!.tabIndex).toBe(-1);
    await key('End');
    expect(root.activeElement).toBe(chips().at(-1));
    await key('Home');
    expect(root.activeElement).toBe(chips()[0]);
    await el.updateComplete;
    expect(root.querySelector('.chip-detail')!.textContent).toBe(`DPP (θ = 0.5): ${chips()[0]!.title}`);
  });
});

describe('the answer', () => {
  const text = async (r: RecommendResult) => {
    const { root } = await mount('ks-recommend-answer', r);
    const p = (k: string) =>
      root.querySelector(`p[data-answer="${k}"]`)!.textContent!.replace(/\s+/g, ' ').trim();
    return { pipeline: p('pipeline'), diversity: p('diversity') };
  };

  it('states the funnel counts, the AUCs and the times from the result', async () => {
    const a = await text(fixture);
    const n = fixture.items.toLocaleString('en-US');
    expect(a.pipeline).toContain(`the catalogue of ${n} items becomes 600 per user in Recall (3 channels)`);
    expect(a.pipeline).toContain('100 in Pre-rank');
    expect(a.pipeline).toContain('and 10 in Re-rank');
    expect(a.pipeline).toContain(
      'The MLP ranker (shipped seeded weights) has a held-out AUC of 0.830 against 0.760',
    );
    expect(a.pipeline).toContain(`For all 6 users the stages took 3.45 ms`);
    const r = clone();
    r.funnel[1]!.items = 700;
    r.funnel[1]!.ms = 2;
    r.ranker = { auc: 0.7, prerankAuc: 0.75, weights: 'trained', trainSteps: 1200 };
    const b = await text(r);
    expect(b.pipeline).toContain('becomes 700 per user in Recall');
    expect(b.pipeline).toContain('3.61 ms');
    expect(b.pipeline).toContain(
      "The MLP ranker (trained for 1,200 steps in this page) has a held-out AUC of 0.700, which does not beat the pre-rank score's 0.750",
    );
  });

  it("names the user's taste and each list's coverage and NDCG@10 from the result", async () => {
    const a = await text(fixture);
    const rel = fixture.metrics.relevance;
    const mmr = fixture.metrics.mmr;
    expect(a.diversity).toContain(
      "User 0's history is 100% category C0 (true taste: 85% C0, 10% C5, 5% C9), a narrow taste",
    );
    expect(a.diversity).toContain(
      `Relevance only covers ${rel.coverage} of 12 categories with NDCG@10 ${rel.ndcg10.toFixed(3)}`,
    );
    // The selected method comes first.
    expect(a.diversity).toMatch(
      new RegExp(`\\)\\. MMR at λ = 0\\.5 covers ${mmr.coverage} at NDCG@10 ${mmr.ndcg10.toFixed(3)} \\(−`),
    );
    const r = clone();
    r.metrics.relevance = { ...rel, coverage: 3, ndcg10: 0.25 };
    r.historyDist = [0.3, 0.3, 0.4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    r.method = 'dpp';
    r.theta = 0.7;
    const b = await text(r);
    expect(b.diversity).toContain('history is 40% category C2');
    expect(b.diversity).toContain('a fairly broad taste');
    expect(b.diversity).toContain('Relevance only covers 3 of 12 categories with NDCG@10 0.250');
    expect(b.diversity).toMatch(/\)\. DPP at θ = 0\.7 covers/);
  });

  it('points at the sweep setting with the most coverage within 5% of the baseline NDCG@10', async () => {
    const best = bestTradeOff(fixture.sweep, fixture.baseline)!;
    const a = await text(fixture);
    const b = fixture.baseline;
    // Checked by hand against the fixture's sweep: no qualifying point has more coverage.
    for (const c of fixture.sweep)
      for (const p of c.points)
        if (p.metrics.ndcg10 >= 0.95 * b.ndcg10)
          expect(p.metrics.coverage).toBeLessThanOrEqual(best.metrics.coverage);
    expect(a.diversity).toContain(
      `Averaged over all 6 users, ${best.curve.method === 'dpp' ? 'DPP at θ' : best.curve.method === 'mmr' ? 'MMR at λ' : 'Calibration at λ'} = ${best.value} raises coverage from ${b.coverage.toFixed(1)} to ${best.metrics.coverage.toFixed(1)} categories`,
    );
    expect(a.diversity).toContain('see the Trade-off curve');

    // Make diversity expensive: every sweep point loses NDCG in proportion to its extra coverage.
    const r = clone();
    r.baseline = { ndcg10: 0.5, ild: 0.2, coverage: 2, kl: 0.3 };
    r.sweep = [
      {
        method: 'mmr',
        param: 'lambda',
        points: [
          { value: 0.5, metrics: { ndcg10: 0.45, ild: 0.6, coverage: 6, kl: 0.2 } },
          { value: 0.8, metrics: { ndcg10: 0.48, ild: 0.4, coverage: 4, kl: 0.25 } },
        ],
      },
    ];
    const c = diversityAnswer(r).join(' ');
    expect(c).toContain(
      'MMR at λ = 0.8 raises coverage from 2.0 to 4.0 categories while NDCG@10 goes from 0.500 to 0.480 (−0.020)',
    );
    expect(c).toContain('each extra category costs about 0.010 NDCG@10');
    // Nothing within 5%: the answer says so instead of claiming a free lunch.
    r.sweep[0]!.points[1]!.metrics.ndcg10 = 0.47;
    expect(diversityAnswer(r).join(' ')).toContain('no sweep setting within 5% of relevance only');
    // No sweep at all: the answer stops at the selected user's lists.
    r.sweep = [];
    const d = diversityAnswer(r);
    expect(d.join(' ')).not.toContain('Averaged over');
    expect(d.at(-1)).toMatch(/^MMR at λ = 0\.5 covers/);
    expect(pipelineAnswer(r)[0]).toContain('catalogue');
  });
});
