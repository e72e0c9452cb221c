/**
 * The Random lab component in real Chromium: mounted inside the app shell, it computes on the WebGPU
 * adapter, shows moments near theory, and the URL mirrors its controls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import '../../src/ui/shell/app';
import { NO_ADAPTER_HELP } from '../gpu/gpu-test-context';
import { mountLab, unmountApp, until } from './helpers';

afterEach(() => {
  unmountApp();
});

describe('ks-random-lab inside ks-app', () => {
  it('computes on the WebGPU adapter and shows moments within 4 standard errors', async () => {
    if (!navigator.gpu || !(await navigator.gpu.requestAdapter())) throw new Error(NO_ADAPTER_HELP);
    const { lab } = await mountLab('/random?seed=3&count=10000&transform=uniform&bins=32', 'ks-random-lab');
    const table = await until(() => lab.shadowRoot?.querySelector('table[aria-label="Moments"]'));
    const rows = [...table.querySelectorAll('tbody tr')];
    expect(rows.map((r) => r.getAttribute('data-key'))).toEqual([
      'mean',
      'variance',
      'skewness',
      'excessKurtosis',
    ]);
    for (const row of rows) {
      const emp = Number(row.querySelector('td.empirical')!.getAttribute('data-value'));
      const th = Number(row.querySelector('td.theory')!.getAttribute('data-value'));
      const se = Number(row.querySelector('td.se')!.getAttribute('data-value'));
      expect(Math.abs(emp - th)).toBeLessThan(4 * se);
    }
    expect(lab.shadowRoot!.querySelector('.badge')!.textContent).toMatch(/swiftshader|software adapter|gpu/i);
    expect(lab.shadowRoot!.querySelectorAll('svg.histogram g.bars rect')).toHaveLength(32);
  });

  it('a control change updates the store and the URL', async () => {
    const { app, lab } = await mountLab(
      '/random?seed=3&count=1000&transform=uniform&bins=16',
      'ks-random-lab',
    );
    await until(() => lab.shadowRoot?.querySelector('table[aria-label="Moments"]'));
    const select = [...lab.shadowRoot!.querySelectorAll('label')]
      .find((l) => l.textContent?.trim().startsWith('Transform'))!
      .querySelector('select')!;
    select.value = 'box-muller';
    select.dispatchEvent(new Event('change'));
    expect(app.store.state.labs.random.transform).toBe('box-muller');
    await until(() => location.hash.includes('transform=box-muller'));
    await until(() => lab.shadowRoot?.querySelector('caption')?.textContent?.includes('N(0, 1)'));
  });
});

describe('device loss', () => {
  const momentsText = (lab: Element) =>
    lab.shadowRoot?.querySelector('table[aria-label="Moments"] tbody')?.textContent ?? '';

  it('recovers by itself: a status line, a new device, and the same numbers', async () => {
    const { app, lab } = await mountLab(
      '/random?seed=3&count=1000&transform=uniform&bins=16',
      'ks-random-lab',
    );
    await until(() => lab.shadowRoot?.querySelector('table[aria-label="Moments"]'));
    const before = momentsText(lab);
    const status = app.runtime.status;
    if (status.kind !== 'ready') throw new Error(NO_ADAPTER_HELP);
    const firstGeneration = app.runtime.generation;
    expect(app.runtime.loseDevice()).toBe(true); // as if the driver had reset
    await until(() => app.shadowRoot!.textContent?.includes('reconnecting by itself'));
    expect(app.shadowRoot!.querySelector('[role="alert"]')).toBeNull();
    await until(() => app.runtime.status.kind === 'ready' && app.runtime.generation === firstGeneration + 1);
    const fresh = app.runtime.status;
    if (fresh.kind !== 'ready') throw new Error('no device after recovery');
    expect(fresh.ctx).not.toBe(status.ctx);
    await until(() => app.runtime.hasEngine(fresh.ctx, 'random'));
    await until(() => !app.shadowRoot!.textContent?.includes('reconnecting by itself'));
    // Philox is counter-based: the new device draws the same numbers.
    await until(() => momentsText(lab) === before);
    expect(app.runtime.losses).toBe(1);
  });

  it('after the automatic attempts fail, offers Reconnect and the CPU reference', async () => {
    const { app, lab } = await mountLab(
      '/random?seed=4&count=1000&transform=uniform&bins=16',
      'ks-random-lab',
    );
    await until(() => lab.shadowRoot?.querySelector('table[aria-label="Moments"]'));
    // No adapter from now on: every automatic request fails.
    const gpu = navigator.gpu;
    const original = gpu.requestAdapter.bind(gpu);
    gpu.requestAdapter = () => Promise.resolve(null);
    try {
      app.runtime.loseDevice();
      const cpu = await until(
        () =>
          [...app.shadowRoot!.querySelectorAll('button')].find((b) =>
            b.textContent?.includes('Use the CPU reference'),
          ),
        10_000,
      );
      const alert = app.shadowRoot!.querySelector('[role="alert"]')!.textContent!.replace(/\s+/g, ' ');
      expect(alert).toContain('Asking for a new one failed 3 times.');
      cpu.click();
      await until(() => app.store.state.backend === 'cpu');
      await until(() => lab.shadowRoot?.querySelector('.backend-line .badge')?.textContent?.includes('CPU'));
    } finally {
      gpu.requestAdapter = original;
    }
    const reconnect = [...app.shadowRoot!.querySelectorAll('button')].find((b) =>
      b.textContent?.includes('Reconnect GPU'),
    )!;
    reconnect.click();
    await until(() => app.runtime.status.kind === 'ready');
  });
});
