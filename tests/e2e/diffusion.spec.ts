import { expect, test, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { downloadJson, expectWebGpuBadge, screenshot, watchConsole } from './helpers';

const current = (page: Page) => page.getByRole('status', { name: 'Current step' });

/** The text of the file a button downloads (for CSV). */
async function downloadText(page: Page, name: string): Promise<string> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name, exact: true }).click(),
  ]);
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** CSV text → rows of cells (the exports quote nothing: numbers and plain names only). */
const csv = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => line.split(','));

test('Diffusion lab: step forward and back, play and pause, reset, exports', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/diffusion');
  await expect(page.getByRole('heading', { level: 2 })).toContainText('Diffusion');
  await expectWebGpuBadge(page);
  // Defaults: cosine, T = 100, DDPM (every timestep), 2000 particles, starting from pure noise at t = T.
  await expect(current(page)).toHaveText('t = 100');
  await expect(page).toHaveURL(/#\/diffusion\?.*T=100/);
  // At 1280 px a single pane puts its legend, caption and exports beside the square plot, not below it.
  const plotBox = (await page.locator('svg.scatter-axes').first().boundingBox())!;
  const exportBox = (await page.getByRole('button', { name: 'Export samples (JSON)' }).boundingBox())!;
  expect(exportBox.x).toBeGreaterThan(plotBox.x + plotBox.width);
  expect(exportBox.y).toBeLessThan(plotBox.y + plotBox.height);
  await screenshot(page, 'diffusion-start');

  const forward = page.getByRole('button', { name: 'Step forward' });
  for (const t of [99, 98, 97]) {
    await forward.click();
    await expect(current(page)).toHaveText(`t = ${t}`);
  }
  await page.getByRole('button', { name: 'Step back' }).click();
  await expect(current(page)).toHaveText('t = 98');
  await page.getByRole('button', { name: 'Step back' }).click();
  await expect(current(page)).toHaveText('t = 99');

  // Keyboard: → steps forward, ← steps back (focus on the page body, not a text field).
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  await expect(current(page)).toHaveText('t = 98');
  await page.keyboard.press('ArrowLeft');
  await expect(current(page)).toHaveText('t = 99');

  await page.getByRole('button', { name: 'Play' }).click();
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
  await expect
    .poll(async () => Number((await current(page).textContent())!.replace('t = ', '')))
    .toBeLessThan(95);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible();
  // A step already in flight when Pause is pressed still lands: wait until the lab has no operation
  // queued or running (its "working…" indicator is empty; it is set before a step starts and cleared in
  // the render that shows the step's t), however long that step takes on a loaded machine.
  const working = page.getByRole('group', { name: 'Stepping' }).locator('.busy');
  await expect(working).toHaveText('');
  const paused = (await current(page).textContent())!;
  expect(paused).toMatch(/^t = \d+$/);
  // After that t stays put and nothing more is queued. A playing lab (speed 10 steps/s by default) would
  // step several times in this window, so a loop still running after Pause fails here; an observation
  // window, not a wait for a condition.
  await page.waitForTimeout(500);
  await expect(current(page)).toHaveText(paused);
  await expect(working).toHaveText('');

  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(current(page)).toHaveText('t = 100');

  const samples = (await downloadJson(page, 'Export samples (JSON)')) as Record<string, unknown>;
  expect(Object.keys(samples).sort()).toEqual(
    [
      'lab',
      'dataset',
      'schedule',
      'sampler',
      'denoiser',
      'T',
      't',
      'seed',
      'points',
      'data',
      'backend',
    ].sort(),
  );
  expect(samples).toMatchObject({
    lab: 'diffusion',
    dataset: 'two-moons',
    schedule: 'cosine',
    T: 100,
    t: 100,
  });
  const points = samples.points as number[][];
  expect(points).toHaveLength(2000);
  for (const p of points) {
    expect(p).toHaveLength(2);
    expect(Number.isFinite(p[0]) && Number.isFinite(p[1])).toBe(true);
  }
  expect((samples.data as number[][]).length).toBe(1000);
  expect(String(samples.backend)).toMatch(/swiftshader|gpu|nvidia|amd|intel|apple/i);

  const schedule = (await downloadJson(page, 'Export schedule (JSON)')) as {
    schedule: string;
    T: number;
    beta: number[];
    alphaBar: number[];
  };
  expect(schedule.schedule).toBe('cosine');
  expect(schedule.T).toBe(100);
  expect(schedule.beta).toHaveLength(100);
  expect(schedule.alphaBar).toHaveLength(100);
  for (let i = 1; i < schedule.alphaBar.length; i++)
    expect(schedule.alphaBar[i]!).toBeLessThan(schedule.alphaBar[i - 1]!);
  const scheduleCsv = csv(await downloadText(page, 'Export schedule (CSV)'));
  expect(scheduleCsv[0]).toEqual(['t', 'beta', 'alphaBar', 'sqrtAlphaBar', 'sqrtOneMinusAlphaBar', 'logSNR']);
  expect(scheduleCsv).toHaveLength(101);
  expect(Number(scheduleCsv[100]![2])).toBeCloseTo(schedule.alphaBar[99]!, 12);
  expect(problems).toEqual([]);
});

test('Diffusion lab: a DDIM chain run to t = 0 lands on the training data (memorisation)', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto(
    './#/diffusion?sampler=ddim&steps=20&T=100&particles=2000&x0=1&density=1&compare=sampler&samplerB=ode-heun',
  );
  await expect(current(page)).toHaveText('t = 100');
  const forward = page.getByRole('button', { name: 'Step forward' });
  for (let i = 0; i < 12; i++) await forward.click();
  await expect(current(page)).toHaveText('t = 40');
  await screenshot(page, 'diffusion-midway');
  // The vector field and density grids on screen export as JSON and CSV (21² and 64² cells).
  const field = (await downloadJson(page, 'Export vector field (JSON)')) as {
    t: number;
    grid: { size: number };
    cells: Array<Record<string, number>>;
  };
  expect(field.t).toBe(40);
  expect(field.cells).toHaveLength(21 * 21);
  expect(Object.keys(field.cells[0]!)).toEqual(['row', 'col', 'x', 'y', 'x0_x', 'x0_y', 'eps_x', 'eps_y']);
  const fieldCsv = csv(await downloadText(page, 'Export vector field (CSV)'));
  expect(fieldCsv).toHaveLength(21 * 21 + 1);
  expect(Number(fieldCsv[5]![4])).toBeCloseTo(field.cells[4]!.x0_x!, 5);
  const density = (await downloadJson(page, 'Export density (JSON)')) as {
    outside: number;
    cells: Array<{ count: number }>;
  };
  expect(density.cells).toHaveLength(64 * 64);
  expect(density.cells.reduce((a, c) => a + c.count, 0) + density.outside).toBe(2000);
  expect(csv(await downloadText(page, 'Export density (CSV)'))).toHaveLength(64 * 64 + 1);
  const x0 = (await downloadJson(page, 'Export x̂₀ (JSON)')) as { t: number; x0: number[][] };
  expect(x0.t).toBe(40);
  expect(x0.x0).toHaveLength(2000);
  const x0Csv = csv(await downloadText(page, 'Export x̂₀ (CSV)'));
  expect(x0Csv[0]).toEqual(['particle', 'x', 'y']);
  expect(Number(x0Csv[1]![1])).toBeCloseTo(x0.x0[0]![0]!, 5);
  for (let i = 0; i < 8; i++) await forward.click();
  await expect(current(page)).toHaveText('t = 0');
  await expect(
    page.getByText('of the final samples lie within 0.05 of a training point').first(),
  ).toBeVisible();
  const samples = (await downloadJson(page, 'Export samples (JSON)')) as {
    t: number;
    points: number[][];
    data: number[][];
  };
  expect(samples.t).toBe(0);
  let close = 0;
  for (const [x, y] of samples.points) {
    let best = Infinity;
    for (const [a, b] of samples.data) best = Math.min(best, Math.hypot(x! - a!, y! - b!));
    if (best < 0.05) close++;
  }
  expect(close / samples.points.length).toBeGreaterThan(0.9);
  await screenshot(page, 'diffusion-end');
  // The memorisation readout as JSON and CSV: per sample the nearest training point and the distance.
  const memo = (await downloadJson(page, 'Export memorisation (JSON)')) as {
    fraction: number;
    radius: number;
    samples: Array<{ sample: number; nearestTrainingIndex: number; distance: number }>;
  };
  expect(memo.radius).toBe(0.05);
  expect(memo.samples).toHaveLength(2000);
  expect(memo.fraction).toBeCloseTo(memo.samples.filter((r) => r.distance <= 0.05).length / 2000, 10);
  const r0 = memo.samples[0]!;
  const [px, py] = samples.points[0]!;
  const [dx, dy] = samples.data[r0.nearestTrainingIndex]!;
  expect(r0.distance).toBeCloseTo(Math.hypot(px! - dx!, py! - dy!), 5);
  const memoCsv = csv(await downloadText(page, 'Export memorisation (CSV)'));
  expect(memoCsv[0]).toEqual(['sample', 'nearestTrainingIndex', 'distance']);
  expect(memoCsv).toHaveLength(2001);
  // Pane B's samples, beside pane A's.
  const b = (await downloadJson(page, 'Export pane B samples (JSON)')) as {
    sampler: string;
    points: number[][];
  };
  expect(b.sampler).toBe('ode-heun');
  expect(b.points).toHaveLength(2000);
  const samplesCsv = csv(await downloadText(page, 'Export samples (CSV)'));
  expect(samplesCsv).toHaveLength(2001);
  expect(Number(samplesCsv[1]![0])).toBeCloseTo(samples.points[0]![0]!, 5);
  expect(problems).toEqual([]);
});

test('Diffusion lab: the warning for a schedule that ends far from noise; invalid parameters fall back', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/diffusion?schedule=sigmoid&T=50&sampler=nope&particles=-3');
  await expect(page.getByText('Ignored sampler=nope')).toBeVisible();
  await expect(page.getByText('Ignored particles=-3')).toBeVisible();
  await expect(current(page)).toHaveText('t = 50');
  await expect(page.getByText(/Schedule warning/)).toBeVisible();
  await screenshot(page, 'diffusion-warning');
  expect(problems).toEqual([]);
});

test('Diffusion lab on the CPU backend: same page, badge and export say CPU, particle cap notice', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/diffusion?backend=cpu&particles=500&T=20&schedule=linear');
  await expect(page.getByRole('status', { name: 'Compute backend' })).toHaveText('CPU');
  await expect(current(page)).toHaveText('t = 20');
  await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(current(page)).toHaveText('t = 19');
  const samples = (await downloadJson(page, 'Export samples (JSON)')) as {
    backend: string;
    points: number[][];
    t: number;
  };
  expect(samples.backend).toBe('CPU');
  expect(samples.t).toBe(19);
  expect(samples.points).toHaveLength(500);
  await page.goto('./#/diffusion?backend=cpu&particles=1000000&T=20');
  await expect(page.getByText('The CPU backend runs at most 200,000 particles')).toBeVisible();
  // Image mode on the CPU reference too: DDIM in ten steps to t = 0 lands on training glyphs.
  await page.goto('./#/diffusion?backend=cpu&dataset=glyphs-digits&T=100&sampler=ddim&steps=10&particles=16');
  await expect(current(page)).toHaveText('t = 100');
  for (let i = 0; i < 10; i++) await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(current(page)).toHaveText('t = 0');
  await expect(
    page.getByText('100.0% of the final samples lie within 0.05 of a training image'),
  ).toBeVisible();
  expect(problems).toEqual([]);
});

for (const theme of ['light', 'dark']) {
  test(`Diffusion lab (${theme} theme) has no serious or critical axe violations`, async ({ page }) => {
    await page.goto(`./#/diffusion?theme=${theme}&compare=schedule&x0=1`);
    await expect(current(page)).toHaveText('t = 100');
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(
      bad.map(
        (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      ),
    ).toEqual([]);
    if (theme === 'dark') await screenshot(page, 'diffusion-dark-compare');
  });
}

/** Fraction of exported points within `r` of a training point. */
function fractionNear(points: number[][], data: number[][], r: number): number {
  let close = 0;
  for (const [x, y] of points) {
    let best = Infinity;
    for (const [a, b] of data) best = Math.min(best, Math.hypot(x! - a!, y! - b!));
    if (best < r) close++;
  }
  return close / points.length;
}

test('Diffusion lab: the trained MLP denoiser (shipped weights) samples two moons', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/diffusion?denoiser=mlp&sampler=ddim&steps=20&T=100&particles=1000');
  const denoiser = page.getByRole('combobox', { name: 'Denoiser' });
  await expect(denoiser).toHaveValue('mlp');
  await expect(current(page)).toHaveText('t = 100');
  await expect(page.getByText('Trained MLP ·').first()).toBeVisible();
  const forward = page.getByRole('button', { name: 'Step forward' });
  for (let i = 0; i < 20; i++) await forward.click();
  await expect(current(page)).toHaveText('t = 0');
  await screenshot(page, 'diffusion-mlp-end');
  const samples = (await downloadJson(page, 'Export samples (JSON)')) as {
    denoiser: string;
    points: number[][];
    data: number[][];
  };
  expect(samples.denoiser).toBe('mlp');
  expect(samples.points).toHaveLength(1000);
  // Measured 98.0% of the MLP's samples within 0.1 of one of the 1000 shown training points (SwiftShader,
  // seed 7). Threshold 0.9.
  const near = fractionNear(samples.points, samples.data, 0.1);
  console.log(`MLP samples within 0.1 of a training point: ${(near * 100).toFixed(1)}%`);
  expect(near).toBeGreaterThan(0.9);
  expect(problems).toEqual([]);
});

test('Diffusion lab: MLP unavailable for a dataset (disabled, with the reason); a malformed weight file falls back to exact', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/diffusion?dataset=gaussian&T=20');
  await expect(current(page)).toHaveText('t = 20');
  const option = page.getByRole('combobox', { name: 'Denoiser' }).locator('option[value="mlp"]');
  await expect(option).toBeDisabled();
  await expect(option).toContainText('no trained MLP ships');
  await expect(page.getByText('Trained MLP unavailable: no trained MLP ships for')).toBeVisible();
  // The same dataset asked for with denoiser=mlp in the URL: a notice, and the exact denoiser runs.
  await page.goto('./#/diffusion?dataset=gaussian&T=20&denoiser=mlp');
  await expect(
    page.getByText('No trained MLP ships for “Gaussian N(0, I)”; using the exact denoiser.'),
  ).toBeVisible();

  // A corrupted weight file: clear message, exact denoiser.
  await page.route('**/models/diffusion/spiral.ksmlp', (route) =>
    route.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.from('garbage!') }),
  );
  await page.goto('./#/diffusion?dataset=spiral&T=20&denoiser=mlp');
  await expect(
    page.getByText(/Could not load the trained MLP for “Spiral”: .*spiral\.ksmlp is not a valid weight file/),
  ).toBeVisible();
  await expect(current(page)).toHaveText('t = 20');
  const samples = (await downloadJson(page, 'Export samples (JSON)')) as { denoiser: string };
  expect(samples.denoiser).toBe('exact');
  expect(problems).toEqual([]);
});

test('Diffusion lab: the forward-process scrub noises every particle to t; the reverse chain steps on from there', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/diffusion?T=100&particles=2000');
  await expect(current(page)).toHaveText('t = 100');
  const number = page.getByRole('spinbutton', { name: 'Forward t' });
  const slider = page.getByRole('slider', { name: 'Forward t' });
  await expect(slider).toHaveValue('100');

  // t = 0: x₀ itself — particle i is training point i mod M.
  await number.fill('0');
  await number.press('Enter');
  await expect(current(page)).toHaveText('t = 0');
  await expect(page).toHaveURL(/forward=0/);
  const at0 = (await downloadJson(page, 'Export samples (JSON)')) as { points: number[][]; data: number[][] };
  at0.points.forEach((p, i) => expect(p).toEqual(at0.data[i % at0.data.length]));

  // The slider (keyboard): t = 40, then x_t = √ᾱ x₀ + √(1 − ᾱ) ε, so ε recovered from the export is N(0, 1).
  await slider.focus();
  await slider.fill('40');
  await expect(current(page)).toHaveText('t = 40');
  await expect(number).toHaveValue('40');
  await expect(page.getByText('(forward process from the data)')).toBeVisible(); // the pseudocode's first line
  await expect(page).toHaveURL(/forward=40/);
  await screenshot(page, 'diffusion-forward');
  const { alphaBar } = (await downloadJson(page, 'Export schedule (JSON)')) as { alphaBar: number[] };
  const s = (await downloadJson(page, 'Export samples (JSON)')) as {
    t: number;
    points: number[][];
    data: number[][];
  };
  expect(s.t).toBe(40);
  const a = alphaBar[39]!;
  const z: number[] = [];
  s.points.forEach((p, i) => {
    const x0 = s.data[i % s.data.length]!;
    for (let d = 0; d < 2; d++) z.push((p[d]! - Math.sqrt(a) * x0[d]!) / Math.sqrt(1 - a));
  });
  const mean = z.reduce((u, v) => u + v, 0) / z.length;
  const variance = z.reduce((u, v) => u + (v - mean) ** 2, 0) / (z.length - 1);
  // 4000 normal values: 4 standard errors are 4/√4000 = 0.063 for the mean and 4·√(2/3999) = 0.089 for the variance.
  expect(Math.abs(mean)).toBeLessThan(0.063);
  expect(Math.abs(variance - 1)).toBeLessThan(0.089);

  // The reverse chain continues from the scrubbed state; Reset returns to it.
  await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(current(page)).toHaveText('t = 39');
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(current(page)).toHaveText('t = 40');
  // A link with forward=… opens there.
  await page.goto('./#/diffusion?T=100&particles=2000&forward=25');
  await expect(current(page)).toHaveText('t = 25');
  await page.getByRole('button', { name: 'Start from pure noise' }).click();
  await expect(current(page)).toHaveText('t = 100');
  await expect(page).toHaveURL(/forward=off/);
  expect(problems).toEqual([]);
});

test('Diffusion lab: draw your own training data (pointer and keyboard), kept in the URL; the exact denoiser memorises it', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/diffusion?dataset=draw&sampler=ddim&steps=10&T=100&particles=500');
  await expect(page.getByText('Draw the training data: click or drag on the plot')).toBeVisible();
  const mlp = page.getByRole('combobox', { name: 'Denoiser' }).locator('option[value="mlp"]');
  await expect(mlp).toBeDisabled();
  await expect(mlp).toContainText('no trained MLP ships for “Draw your own”');
  const heading = page.getByRole('heading', { name: /Your training data: \d+ of 1024 points/ });
  await expect(heading).toHaveText('Your training data: 0 of 1024 points');

  // Pointer: the plot maps [−3.5, 3.5]² into a square of side min(w − 52, h − 40) at (40, 10) (charts/scatter.ts).
  const canvas = page.locator('canvas.scatter[data-pane="0"]');
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  const side = Math.min(box.width - 52, box.height - 40);
  const at = (x: number, y: number) => ({
    x: box.x + 40 + ((x + 3.5) / 7) * side,
    y: box.y + 10 + ((3.5 - y) / 7) * side,
  });
  await page.mouse.click(at(1, 1).x, at(1, 1).y);
  await expect(heading).toHaveText('Your training data: 1 of 1024 points');
  await page.mouse.click(at(-1, -1).x, at(-1, -1).y);
  await expect(heading).toHaveText('Your training data: 2 of 1024 points');
  await page.mouse.move(at(-2, 2).x, at(-2, 2).y);
  await page.mouse.down();
  await page.mouse.move(at(2, 2).x, at(2, 2).y, { steps: 40 });
  await page.mouse.up();
  await expect(heading).not.toHaveText('Your training data: 2 of 1024 points');
  const dragged = Number((await heading.textContent())!.match(/: (\d+) of/)![1]);
  expect(dragged).toBeGreaterThan(20); // a 4-unit stroke at one point per 0.06 and 40 mouse moves
  // Keyboard: the Add point form.
  await page.getByRole('spinbutton', { name: 'Point x' }).fill('0.5');
  await page.getByRole('spinbutton', { name: 'Point y' }).fill('-2');
  await page.getByRole('button', { name: 'Add point' }).click();
  await expect(heading).toHaveText(`Your training data: ${dragged + 1} of 1024 points`);
  await expect(page).toHaveURL(/dataset=draw&.*drawing=[A-Za-z0-9_-]{20,}/);
  await expect(current(page)).toHaveText('t = 100');
  await screenshot(page, 'diffusion-draw');

  // Run the chain to t = 0: the exact denoiser reproduces the drawn points.
  const forward = page.getByRole('button', { name: 'Step forward' });
  for (let i = 0; i < 10; i++) await forward.click();
  await expect(current(page)).toHaveText('t = 0');
  const s = (await downloadJson(page, 'Export samples (JSON)')) as {
    dataset: string;
    points: number[][];
    data: number[][];
  };
  expect(s.dataset).toBe('draw');
  expect(s.data).toHaveLength(dragged + 1);
  expect(s.data).toContainEqual([1, 1]);
  expect(s.data).toContainEqual([-1, -1]);
  expect(s.data).toContainEqual([0.5, -2]);
  expect(fractionNear(s.points, s.data, 0.05)).toBeGreaterThan(0.9);

  // The link reproduces the drawing.
  const url = page.url();
  await page.goto('./#/');
  await page.goto(url);
  await expect(heading).toHaveText(`Your training data: ${dragged + 1} of 1024 points`);

  // Typed points replace the drawing; bad lines are refused with the line named.
  const area = page.getByRole('textbox', { name: 'Points (one “x, y” per line)' });
  await area.fill('0, 0\n1.5, -0.25');
  await page.getByRole('button', { name: 'Use these points' }).click();
  await expect(heading).toHaveText('Your training data: 2 of 1024 points');
  await expect(current(page)).toHaveText('t = 100');
  const two = (await downloadJson(page, 'Export samples (JSON)')) as { data: number[][] };
  expect(two.data).toEqual([
    [0, 0],
    [1.5, -0.25],
  ]);
  await area.fill('0, 0\nfive, 2');
  await page.getByRole('button', { name: 'Use these points' }).click();
  await expect(page.getByRole('alert')).toHaveText('Line 2: “five, 2” is not “x, y”.');
  await page.getByRole('button', { name: 'Clear drawing' }).click();
  await expect(heading).toHaveText('Your training data: 0 of 1024 points');
  await expect(page.getByText('Draw the training data: click or drag on the plot')).toBeVisible();

  // A malformed drawing in a link: a notice, and no drawing.
  await page.goto('./#/diffusion?dataset=draw&drawing=AAAA');
  await expect(page.getByText('Ignored drawing=AAAA: not a whole number of (x, y) pairs')).toBeVisible();
  await expect(heading).toHaveText('Your training data: 0 of 1024 points');
  expect(problems).toEqual([]);
});

test('Diffusion lab image mode: glyphs from the browser fonts, run to t = 0, exported images are training glyphs (memorisation)', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/diffusion?dataset=glyphs-digits&size=28&sampler=ddim&steps=10&T=100');
  await expect(current(page)).toHaveText('t = 100');
  await expect(
    page.getByText('Image mode shows at most 64 images (particles); running 64 of the 2,000'),
  ).toBeVisible();
  // Image grids instead of the scatter, field and density.
  await expect(page.getByText('x_t at t = 100', { exact: true })).toBeVisible();
  await expect(page.getByText('Predicted x̂₀', { exact: true })).toBeVisible();
  await expect(page.locator('canvas.scatter')).toHaveCount(0);
  await expect(page.getByRole('checkbox', { name: 'Vector field' })).toHaveCount(0);
  await expect(page.getByRole('combobox', { name: 'Image size' })).toHaveValue('28');
  const forward = page.getByRole('button', { name: 'Step forward' });
  for (let i = 0; i < 5; i++) await forward.click();
  await expect(current(page)).toHaveText('t = 50');
  await screenshot(page, 'diffusion-images-midway');
  for (let i = 0; i < 5; i++) await forward.click();
  await expect(current(page)).toHaveText('t = 0');
  await expect(page.getByText('x_t at t = 0', { exact: true })).toBeVisible();
  await expect(page.getByText('of the final samples lie within 0.05 of a training image')).toBeVisible();
  await screenshot(page, 'diffusion-images-end');

  const s = (await downloadJson(page, 'Export samples (JSON)')) as Record<string, unknown> & {
    images: number[][];
    data: number[][];
  };
  expect(Object.keys(s).slice(0, 3)).toEqual(['lab', 'dataset', 'size']);
  expect(s).toMatchObject({
    lab: 'diffusion',
    dataset: 'glyphs-digits',
    size: 28,
    t: 0,
    T: 100,
    denoiser: 'exact',
  });
  expect(s.images).toHaveLength(64);
  expect(s.data.length).toBe(160); // 16 glyphs per class
  for (const img of [...s.images, ...s.data]) expect(img).toHaveLength(28 * 28);
  // Every final image is (within f32 rounding) one of the training glyphs: RMS distance per pixel < 0.05.
  const rms = (a: number[], b: number[]) =>
    Math.sqrt(a.reduce((u, v, k) => u + (v - b[k]!) ** 2, 0) / a.length);
  const nearest = s.images.map((img) => Math.min(...s.data.map((d) => rms(img, d))));
  console.log(`image mode: largest nearest-glyph RMS distance ${Math.max(...nearest).toExponential(2)}`);
  for (const d of nearest) expect(d).toBeLessThan(0.05);
  // The glyphs differ from each other by far more than that (so the check can fail).
  expect(rms(s.data[0]!, s.data[1]!)).toBeGreaterThan(0.2);

  // 32×32 from the menu: the export follows.
  await page.getByRole('combobox', { name: 'Image size' }).selectOption('32');
  await expect(page).toHaveURL(/size=32/);
  await expect(current(page)).toHaveText('t = 100');
  const s32 = (await downloadJson(page, 'Export samples (JSON)')) as { size: number; images: number[][] };
  expect(s32.size).toBe(32);
  expect(s32.images[0]).toHaveLength(32 * 32);
  expect(problems).toEqual([]);
});

test('Diffusion lab: a denoiser trained in this page (training panel) drives the chain', async ({ page }) => {
  // Room for the 110 s wait for training below plus the rest (the default 120 s would cut that wait short).
  test.setTimeout(240_000);
  const problems = watchConsole(page);
  await page.goto('./#/diffusion?T=50&sampler=ddim&steps=10&particles=500&denoiser=trained');
  await expect(current(page)).toHaveText('t = 50');
  await expect(page.getByText(/No denoiser has been trained in this page for “Two moons” yet/)).toBeVisible();
  const forward = page.getByRole('button', { name: 'Step forward' });
  for (let i = 0; i < 3; i++) await forward.click();
  await expect(current(page)).toHaveText('t = 35');
  const panel = page.getByRole('region', { name: 'Train a denoiser in this page' });
  await panel.getByRole('combobox', { name: 'Training steps' }).selectOption('50');
  await panel.getByRole('button', { name: 'Train denoiser' }).click();
  // Snapshots arrive during training; the last one is marked done.
  await expect(panel.locator('p', { hasText: 'Latest model: step 50 of 50' })).toContainText('(done)', {
    timeout: 110_000,
  });
  await expect(
    page.getByRole('combobox', { name: 'Denoiser' }).locator('option[value="trained"]'),
  ).toHaveText('Trained in this page (step 50 of 50)');
  await expect(page.getByText(/No denoiser has been trained/)).toHaveCount(0);
  await expect(page.getByText('Trained in this page ·').first()).toBeVisible();
  // Each snapshot re-ran the chain with the newer model at the same step.
  await expect(current(page)).toHaveText('t = 35');
  for (let i = 0; i < 7; i++) await forward.click();
  await expect(current(page)).toHaveText('t = 0');
  await screenshot(page, 'diffusion-trained-here');
  const s = (await downloadJson(page, 'Export samples (JSON)')) as { denoiser: string; points: number[][] };
  expect(s.denoiser).toBe('trained');
  expect(s.points).toHaveLength(500);
  for (const [x, y] of s.points) expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
  expect(problems).toEqual([]);
});

test('Diffusion lab: image mode and draw mode have no serious or critical axe violations', async ({
  page,
}) => {
  for (const [query, ready] of [
    ['dataset=glyphs-letters&size=32&T=20', 't = 20'],
    ['dataset=draw&drawing=AAAAAGQAZAA&T=20&theme=dark', 't = 20'],
  ] as const) {
    await page.goto(`./#/diffusion?${query}`);
    await expect(current(page)).toHaveText(ready);
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(
      bad.map(
        (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      ),
      query,
    ).toEqual([]);
  }
});

/**
 * The side-by-side comparison of denoisers from the same seed: pane A the exact denoiser (attention
 * over the data), pane B the shipped trained MLP. Both start from the same x_T and both end on the data, by
 * different paths.
 */
test('Diffusion lab: exact vs trained-MLP denoiser side by side from the same seed', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(
    './#/diffusion?sampler=ddim&steps=10&T=100&particles=500&compare=denoiser&denoiser=exact&denoiserB=mlp',
  );
  await expect(page.getByRole('combobox', { name: 'Compare with' })).toHaveValue('denoiser');
  await expect(page.getByRole('combobox', { name: 'Denoiser B' })).toHaveValue('mlp');
  await expect(current(page)).toHaveText('t = 100');
  await expect(page.getByRole('heading', { name: /^A: .*Exact \(attention over the data\)/ })).toBeVisible();
  await expect(page.getByRole('heading', { name: /^B: .*Trained MLP/ })).toBeVisible();
  const startA = (await downloadJson(page, 'Export samples (JSON)')) as {
    denoiser: string;
    points: number[][];
  };
  const startB = (await downloadJson(page, 'Export pane B samples (JSON)')) as {
    denoiser: string;
    points: number[][];
  };
  expect(startA.denoiser).toBe('exact');
  expect(startB.denoiser).toBe('mlp');
  expect(startB.points).toEqual(startA.points); // same seed, same x_T

  const forward = page.getByRole('button', { name: 'Step forward' });
  for (let i = 0; i < 10; i++) await forward.click();
  await expect(current(page)).toHaveText('t = 0');
  await expect(page.getByRole('heading', { name: /^B: .*t = 0/ })).toBeVisible();
  const endA = (await downloadJson(page, 'Export samples (JSON)')) as {
    points: number[][];
    data: number[][];
  };
  const endB = (await downloadJson(page, 'Export pane B samples (JSON)')) as { points: number[][] };
  const nearest = (pts: number[][]) =>
    pts.map(([x, y]) => Math.min(...endA.data.map(([a, b]) => Math.hypot(x! - a!, y! - b!))));
  const dA = nearest(endA.points);
  const dB = nearest(endB.points);
  const within = (d: number[], r: number) => d.filter((v) => v < r).length / d.length;
  // Both land on the data (measured: exact 92%, MLP 97.6% within 0.05 of a training point), and they are two
  // different chains from the same x_T: the panes' samples differ (median per-particle gap > 0.01).
  expect(within(dA, 0.05)).toBeGreaterThan(0.85);
  expect(within(dB, 0.05)).toBeGreaterThan(0.85);
  const gaps = endA.points.map(([x, y], i) => Math.hypot(x! - endB.points[i]![0]!, y! - endB.points[i]![1]!));
  gaps.sort((u, v) => u - v);
  expect(gaps[gaps.length >> 1]!).toBeGreaterThan(0.01);
  await screenshot(page, 'diffusion-compare-denoisers');
  expect(problems).toEqual([]);
});
