import { expect, test } from '@playwright/test';
import { downloadJson, expectWebGpuBadge, screenshot, watchConsole } from './helpers';
import { pauseTraining } from './batchnorm-pause';
import type { Export } from './batchnorm-helpers';

/**
 * As a user: train both networks for a while, pause, export the statistics. Post-BN (x̂) batch statistics
 * are per channel |mean| < 1e-3 and |var − 1| < 1e-2 (var = σ²/(σ²+ε), f32 reductions); pre-BN ones are not.
 */
test('BatchNorm lab: train, pause, export — post-BN channels standardised, pre-BN not', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/batchnorm');
  await expect(page.getByRole('heading', { level: 2 })).toContainText('BatchNorm');
  await expectWebGpuBadge(page);
  const status = page.getByRole('status', { name: 'Training status' });
  await expect(status).toContainText('step 0');

  await page.getByRole('button', { name: 'Train' }).click();
  await expect(status).toContainText(/step ([3-9]\d|\d{3,})\b/);
  await pauseTraining(page);
  await screenshot(page, 'batchnorm-trained');

  const data = (await downloadJson(page, 'Export statistics (JSON)')) as Export;
  expect(data.lab).toBe('batchnorm');
  expect(data.step).toBeGreaterThanOrEqual(30);
  expect(data.backend).not.toMatch(/CPU/);
  expect(data.loss.withBN.length).toBe(data.step);
  expect(data.loss.withoutBN.length).toBe(data.step);
  expect(data.layers.length).toBe(3);
  let preNotStandard = 0;
  for (const layer of data.layers) {
    expect(layer.postBN.mean.length).toBe(32);
    for (const m of layer.postBN.mean) expect(Math.abs(m)).toBeLessThan(1e-3);
    for (const v of layer.postBN.var) expect(Math.abs(v - 1)).toBeLessThan(1e-2);
    for (let c = 0; c < 32; c++) {
      if (Math.abs(layer.preBN.mean[c]!) > 1e-2 || Math.abs(layer.preBN.var[c]! - 1) > 1e-1) preNotStandard++;
    }
    expect(layer.runningVar.every((v) => v > 0)).toBe(true);
  }
  expect(preNotStandard).toBeGreaterThan(48);
  // Training lowered the BN network's loss.
  expect(data.loss.withBN.at(-1)!).toBeLessThan(data.loss.withBN[0]!);

  await page.getByRole('radio', { name: /eval/ }).check();
  await expect(page).toHaveURL(/view=eval/);
  // The lab re-looks at the batch in the eval view; the charts are drawn in the render that shows it.
  await expect(page.locator('summary', { hasText: 'Per-channel statistics' })).toContainText('(eval view)');
  await screenshot(page, 'batchnorm-eval');
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('step 0');
  expect(problems).toEqual([]);
});

/**
 * The high-learning-rate demo: spirals, lr 0.3, 5 hidden layers. The plain network's loss blows up
 * (measured ≈ 330 after its first update on the CPU reference) and then sits near ln 2 (dead ReLUs); the BN
 * network's does not blow up and ends lower. Bounds: plain peak > 20, BN peak < 10, and over the last 20 of
 * ≥ 60 steps BN's mean loss < plain's − 0.1.
 */
test('BatchNorm lab: high learning rate demo — the plain network diverges, the BN one trains', async ({
  page,
}) => {
  // Room for the 110 s wait for 60 steps below plus the rest (the default 120 s would cut that wait short).
  test.setTimeout(240_000);
  const problems = watchConsole(page);
  await page.goto('./#/batchnorm');
  const status = page.getByRole('status', { name: 'Training status' });
  await expect(status).toContainText('step 0');
  await page.getByRole('button', { name: 'High learning rate demo' }).click();
  await expect(page).toHaveURL(/lr=0\.3/);
  await expect(page).toHaveURL(/depth=5/);
  await expect(page).toHaveURL(/task=spirals/);
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(status).toContainText(/step ([6-9]\d|\d{3,})\b/, { timeout: 110_000 });
  await pauseTraining(page);
  await screenshot(page, 'batchnorm-high-lr');
  const data = (await downloadJson(page, 'Export statistics (JSON)')) as Export;
  const { withBN, withoutBN } = data.loss;
  expect(Math.max(...withoutBN)).toBeGreaterThan(20);
  expect(Math.max(...withBN)).toBeLessThan(10);
  const tail = (a: number[]) => a.slice(-20).reduce((s, v) => s + v, 0) / 20;
  expect(tail(withBN)).toBeLessThan(tail(withoutBN) - 0.1);

  // The per-channel charts as histograms over the channels: all 32 post-BN batch means fall in the bin
  // holding 0, while the pre-BN means spread over several bins.
  await page.getByRole('radio', { name: 'histogram' }).check();
  await expect(page).toHaveURL(/channels=histogram/);
  const hist = page.locator('ks-batchnorm-lab svg.means path.hist');
  await expect(hist).toHaveCount(3);
  const counts = async (series: string) =>
    (await page
      .locator(`ks-batchnorm-lab svg.means path.hist[data-series="${series}"]`)
      .getAttribute('data-counts'))!
      .split(',')
      .map(Number);
  const post = await counts('after BN (x̂)');
  expect(post.reduce((a, b) => a + b, 0)).toBe(32);
  expect(Math.max(...post)).toBe(32);
  const pre = await counts('before BN');
  expect(pre.filter((c) => c > 0).length).toBeGreaterThan(2);
  await expect(page.locator('ks-batchnorm-lab svg.vars path.hist')).toHaveCount(3);
  await screenshot(page, 'batchnorm-histograms');
  expect(problems).toEqual([]);
});

/**
 * Pause turns the button back into Train at once while the step in flight finishes. Clicking Train again
 * before that step ends must not start a second loop on the same engine (double-speed, interleaved steps and
 * overlapping reads of the one staging buffer). Observed through the lab's page state, every change of
 * which is recorded as it happens (MutationObserver with old values): `data-steps-in-flight` (engine steps
 * running at once) never exceeds 1, and `data-step` (the step shown) advances by exactly one at a time.
 */
test('BatchNorm lab: a quick Pause → Train never runs two training loops at once', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/batchnorm');
  const status = page.getByRole('status', { name: 'Training status' });
  await expect(status).toContainText('step 0');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(status).toContainText(/step ([3-9]|\d{2,})\b/);

  const lab = page.locator('ks-batchnorm-lab');
  const WATCHED = ['data-step', 'data-steps-in-flight', 'data-state'];
  await lab.evaluate((el, watched) => {
    const records: MutationRecord[] = [];
    new MutationObserver((list) => records.push(...list)).observe(el, {
      attributes: true,
      attributeOldValue: true,
      attributeFilter: watched,
    });
    (window as unknown as { bnRecords: MutationRecord[] }).bnRecords = records;
  }, WATCHED);
  // Pause and Train three times in quick succession, each time while a step is in flight.
  const pausedMidStep = await lab.evaluate(async (el) => {
    const host = el as HTMLElement & { updateComplete: Promise<unknown> };
    const button = () =>
      [...host.shadowRoot!.querySelectorAll('button')].find((b) =>
        /^(Train|Pause)$/.test(b.textContent!.trim()),
      )!;
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      while (host.getAttribute('aria-busy') !== 'true') await new Promise((r) => setTimeout(r, 0));
      button().click(); // Pause
      await host.updateComplete;
      states.push(`${button().textContent!.trim()}:${host.dataset.state}`);
      button().click(); // Train
      await host.updateComplete;
      states.push(`${button().textContent!.trim()}:${host.dataset.state}`);
    }
    return states;
  });
  expect(pausedMidStep).toEqual(Array.from({ length: 3 }, () => ['Train:pausing', 'Pause:training']).flat());
  const resumedAt = Number(await lab.getAttribute('data-step'));
  await expect
    .poll(async () => Number(await lab.getAttribute('data-step')), { timeout: 60_000 })
    .toBeGreaterThanOrEqual(resumedAt + 5);
  // While training, the status shows the speed measured in this run.
  await expect(status).toContainText(/ · \d+\.\d steps\/s$/);
  const stopped = await pauseTraining(page);
  await expect(status).not.toContainText('steps/s');

  // Each attribute's values in order: every record's old value, then the current value.
  const seen = await lab.evaluate((el, watched) => {
    const records = (window as unknown as { bnRecords: MutationRecord[] }).bnRecords;
    return Object.fromEntries(
      watched.map((name) => [
        name,
        [...records.filter((r) => r.attributeName === name).map((r) => r.oldValue), el.getAttribute(name)],
      ]),
    );
  }, WATCHED);
  const inFlight = seen['data-steps-in-flight']!.map(Number);
  expect(new Set(inFlight)).toEqual(new Set([0, 1]));
  const steps = seen['data-step']!.map(Number).filter((v, i, a) => i === 0 || v !== a[i - 1]);
  expect(steps.at(-1)).toBe(stopped);
  expect(steps.length).toBeGreaterThan(5);
  for (let i = 1; i < steps.length; i++)
    expect(steps[i]! - steps[i - 1]!, `after step ${steps[i - 1]}`).toBe(1);
  expect(seen['data-state']!.at(-1)).toBe('paused');

  const data = (await downloadJson(page, 'Export statistics (JSON)')) as Export;
  expect(data.step).toBe(stopped);
  expect(data.loss.withBN.length).toBe(data.step);
  expect(problems).toEqual([]);
});
