/**
 * The Attention lab in real Chromium: mounted in the app shell it computes on the WebGPU adapter, every
 * difference from the float64 reference stays within its stated f32 bound (nothing flagged), masked weights
 * are counted as exactly 0, and "c" toggles the causal mask. The numerics panel alone flags a difference
 * only beyond its bound.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { html, render } from 'lit';
import '../../src/ui/shell/app';
import type { AttentionNumerics } from '../../src/engine/attention';
import { renderNumerics } from '../../src/ui/attention/numerics-panel';
import type { LabView } from '../../src/ui/attention/view';
import { NO_ADAPTER_HELP } from '../gpu/gpu-test-context';
import { cpuLabRun } from '../unit/attention-run';
import { mountLab, unmountApp, until } from './helpers';

afterEach(() => {
  unmountApp();
  document.querySelector('#numerics-host')?.remove();
});

/** The numbers of a cell "1.22e-7 (bound 2.41e-5)": the difference (data-value) and the bound. */
function boundOf(td: Element): { diff: number; bound: number } {
  const bound = /bound (\S+?)\)?$/.exec(td.textContent!.trim());
  if (!bound) throw new Error(`no bound in “${td.textContent}”`);
  return { diff: Number(td.getAttribute('data-value')), bound: Number(bound[1]) };
}

describe('ks-attention-lab inside ks-app', () => {
  it('stays within every f32 bound on the GPU, counts masked weights as 0, and "c" toggles causal', async () => {
    if (!navigator.gpu || !(await navigator.gpu.requestAdapter())) throw new Error(NO_ADAPTER_HELP);
    const { app, lab } = await mountLab(
      '/attention?text=one+two+three+four&heads=2&d=8&mask=causal',
      'ks-attention-lab',
    );
    const table = await until(() => {
      const t = lab.shadowRoot?.querySelector('table[aria-label="Numerics"]');
      return t?.textContent?.includes('bound') && !t.textContent.includes('computing') ? t : null;
    });
    expect(lab.shadowRoot!.querySelector('.badge')!.textContent).toMatch(/swiftshader|software adapter|gpu/i);
    const rows = [...table.querySelectorAll('tbody tr')];
    const cells = rows.slice(0, 6).map((r) => r.querySelector('td')!); // five stages and the row sums
    for (const td of cells) {
      const { diff, bound } = boundOf(td);
      expect(diff, td.parentElement!.textContent!).toBeLessThanOrEqual(bound);
      // The bounds are f32-sized: at L = 4, d = 8 every one is below 1e-4.
      expect(bound).toBeLessThan(1e-4);
    }
    expect(table.querySelectorAll('.bad')).toHaveLength(0);
    // Causal at L = 4: 6 masked weights per head, 2 heads.
    expect(lab.shadowRoot!.querySelector('.numerics')!.textContent).toContain(
      'Masked weights are exactly 0: here all 12 of them are.',
    );
    // "c" (not typed into a field) toggles the causal mask.
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'c' }));
    expect(app.store.state.labs.attention.mask).toBe('none');
    await until(() => location.hash.includes('mask=none'));
  });
});

describe('renderNumerics', () => {
  async function view(numerics: AttentionNumerics): Promise<LabView> {
    const { params, lab } = await cpuLabRun({ text: 'a b c', heads: 1, d: 4 }, 16);
    return {
      lab,
      params,
      numerics: { kind: 'done', numerics },
      numericsPending: false,
    } as unknown as LabView;
  }

  it('flags a difference only beyond its bound, and says the bound either way', async () => {
    const numerics: AttentionNumerics = {
      maxAbsDiff: { scores: 0, scaled: 2e-7, masked: 2e-7, weights: 1e-3, output: 3e-5 },
      bound: { scores: 1e-6, scaled: 4e-7, masked: 4e-7, weights: 3e-5, output: 3e-5 },
      flagged: ['weights'],
      maxRowSumError: 2e-7,
      rowSumBound: 8e-7,
      fullyMaskedRows: 0,
      backend: 'CPU',
    };
    const host = document.createElement('div');
    host.id = 'numerics-host';
    document.body.append(host);
    render(html`${renderNumerics(await view(numerics))}`, host);
    const cell = (name: string) =>
      [...host.querySelectorAll('tbody tr')]
        .find((r) => r.querySelector('th')!.textContent!.includes(name))!
        .querySelector('td')!;
    expect(cell('Softmax weights').textContent!.trim()).toBe('1.00e-3 > bound 3.00e-5');
    expect(cell('Softmax weights').className).toBe('bad');
    // Equal to the bound is within it.
    expect(cell('Output').textContent!.trim()).toBe('3.00e-5 (bound 3.00e-5)');
    expect(cell('Output').className).toBe('');
    expect(cell('row sum').textContent!.trim()).toBe('2.00e-7 (bound 8.00e-7)');
    expect(host.querySelectorAll('.bad')).toHaveLength(1);
  });
});
