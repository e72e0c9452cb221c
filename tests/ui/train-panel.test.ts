/**
 * <ks-denoiser-trainer> (contract 4) in real Chromium: trains the ε-MLP a few steps on the WebGPU adapter
 * (SwiftShader here) and on the CPU fallback, the progress bar and loss chart advance, `denoiser-trained`
 * fires with finite models, and "Cancel training" stops a run between chunks.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import '../../src/ui/diffusion/train-panel';
import type { DenoiserTrainedDetail, DenoiserTrainerPanel } from '../../src/ui/diffusion/train-panel';
import { parameterCount, DEFAULT_MLP_CONFIG } from '../../src/models/mlp-denoiser';
import { makeDataset2D } from '../../src/models/datasets2d';
import type { GpuContext } from '../../src/gpu/device';
import { testGpu } from '../gpu/gpu-test-context';
import { until as untilEvery } from './helpers';

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await testGpu();
});

/** Polls every 20 ms (the panel's progress events are frequent). */
const until = <T>(fn: () => T | null | undefined | false) => untilEvery(fn, 60_000, 20);

const data = makeDataset2D({ kind: 'two-moons', n: 300, seed: 1 });

function mount(props: Partial<DenoiserTrainerPanel>) {
  const el = document.createElement('ks-denoiser-trainer');
  Object.assign(el, { data, dataset: 'two-moons', seed: 1, ...props });
  const events: DenoiserTrainedDetail[] = [];
  // Listen above the element: the event bubbles out of it.
  const host = document.createElement('div');
  host.addEventListener('denoiser-trained', (e) =>
    events.push((e as CustomEvent<DenoiserTrainedDetail>).detail),
  );
  host.append(el);
  document.body.append(host);
  const root = () => el.shadowRoot!;
  const button = (name: string) =>
    [...root().querySelectorAll('button')].find((b) => b.textContent!.trim() === name)!;
  const progress = () =>
    root().querySelector<HTMLProgressElement>('progress[aria-label="Training progress"]')!;
  return { el, host, events, button, progress, root };
}

afterEach(() => {
  document.querySelectorAll('ks-denoiser-trainer').forEach((e) => e.parentElement!.remove());
});

describe('ks-denoiser-trainer', () => {
  it('trains on the GPU: progress advances, the loss chart grows, events carry finite models, the last is done', async () => {
    const { el, events, button, progress, root } = mount({ gpu, steps: 20, batch: 32 });
    await el.updateComplete;
    expect(button('Train denoiser').disabled).toBe(false);
    expect(button('Cancel training').disabled).toBe(true);
    expect(root().querySelector('select')!.closest('label')!.textContent).toMatch(/Training steps/);
    const seen = new Set<number>();
    const clicked = performance.now();
    button('Train denoiser').click();
    await el.updateComplete;
    expect(button('Train denoiser').disabled).toBe(true);
    expect(button('Cancel training').disabled).toBe(false);
    await until(() => {
      seen.add(progress().value);
      return events.some((e) => e.done);
    });
    await el.done;
    await el.updateComplete;
    expect(progress().value).toBe(20);
    expect(progress().max).toBe(20);
    expect(
      [...seen].some((v) => v > 0 && v < 20),
      `progress values ${[...seen]}`,
    ).toBe(true);
    // ~10% snapshots: 10 events for 20 steps, steps increasing, only the last one done.
    expect(events.map((e) => e.step)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(events.map((e) => e.done)).toEqual([...Array(9).fill(false), true]);
    const last = events.at(-1)!;
    expect(last.totalSteps).toBe(20);
    expect(last.model.config).toEqual(DEFAULT_MLP_CONFIG);
    expect(last.model.params).toHaveLength(parameterCount(DEFAULT_MLP_CONFIG));
    expect(last.model.params.every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(last.loss) && last.loss > 0).toBe(true);
    expect(last.model.meta).toMatchObject({
      dataset: 'two-moons',
      trainSteps: 20,
      trainer: expect.stringMatching(/^webgpu/),
    });
    // The model changes as it trains.
    expect(Array.from(events[0]!.model.params)).not.toEqual(Array.from(last.model.params));
    const svg = root().querySelector('svg.loss')!;
    expect(svg.getAttribute('aria-label')).toMatch(/training loss/i);
    // One loss point per chunk (chunks of ≤ 1 step for a 20-step run).
    expect(Number(svg.getAttribute('data-steps'))).toBe(20);
    expect(svg.querySelectorAll('path.series')).toHaveLength(1);
    const status = root().querySelector('[role="status"]')!.textContent!;
    expect(status).toMatch(/Step 20 of 20 · loss \d/);
    // The speed shown is this run's: 20 steps over the wall time since Train, measured here too (the
    // page's clock starts after the click and stops at the last report, so it is at least ours).
    const rate = Number(status.match(/· ([\d.]+) steps\/s/)![1]);
    expect(rate).toBeGreaterThan(20 / ((performance.now() - clicked) / 1000) - 0.05);
    if (gpu.info.isFallback) {
      // The software-adapter advice carries this run's number, not a fixed one.
      const advice = [...root().querySelectorAll('p.muted')]
        .map((e) => e.textContent!.replace(/\s+/g, ' '))
        .join(' ');
      expect(advice).toMatch(new RegExp(`this run: ${rate.toFixed(1)} steps/s at batch 32`));
      expect(advice).not.toMatch(/20–30/);
    }
    expect(button('Train denoiser').disabled).toBe(false);
  }, 120_000);

  it('"Cancel training" stops the run between chunks; no done event; training can start again', async () => {
    const { el, events, button, progress, root } = mount({ gpu, steps: 5000, batch: 32 });
    await el.updateComplete;
    button('Train denoiser').click();
    await until(() => progress().value > 0);
    await el.updateComplete;
    button('Cancel training').click();
    await el.done;
    await el.updateComplete;
    const stoppedAt = progress().value;
    // Chunks adapt to ~250 ms, so the run stops soon after the click, far from the end.
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(progress().value).toBe(stoppedAt);
    expect(events.some((e) => e.done)).toBe(false);
    expect(root().querySelector('[role="status"]')!.textContent).toMatch(
      new RegExp(`Training cancelled\\. Stopped at step ${stoppedAt} of 5000`),
    );
    expect(button('Train denoiser').disabled).toBe(false);
    expect(button('Cancel training').disabled).toBe(true);
  }, 120_000);

  it('without a GPU trains with the TypeScript trainer in chunks and gives the same first model as the GPU', async () => {
    const cpuRun = mount({ gpu: null, steps: 10, batch: 32 });
    await cpuRun.el.updateComplete;
    expect(cpuRun.root().querySelector('[role="status"]')!.textContent).toMatch(/CPU/);
    cpuRun.button('Train denoiser').click();
    await until(() => cpuRun.events.some((e) => e.done));
    await cpuRun.el.done;
    expect(cpuRun.events).toHaveLength(10);
    const cpuLast = cpuRun.events.at(-1)!;
    expect(cpuLast.model.meta).toMatchObject({ trainer: 'typescript-f64', trainSteps: 10 });
    expect(cpuLast.model.params.every(Number.isFinite)).toBe(true);
    const gpuRun = mount({ gpu, steps: 10, batch: 32 });
    await gpuRun.el.updateComplete;
    gpuRun.button('Train denoiser').click();
    await until(() => gpuRun.events.some((e) => e.done));
    // Same batches and update: after one step (Adam moves each weight by ≈ lr·sign(g)) the parameters agree
    // except where a gradient is at f32 noise level; compare the loss of the first snapshot instead of bits.
    const [c0, g0] = [cpuRun.events[0]!, gpuRun.events[0]!];
    expect(c0.step).toBe(1);
    expect(Math.abs(g0.loss - c0.loss)).toBeLessThan(1e-4 * c0.loss);
  }, 120_000);

  it('changing the data while training cancels the run (the model would belong to other data)', async () => {
    const { el, events, button, progress, root } = mount({ gpu, steps: 5000, batch: 32 });
    await el.updateComplete;
    button('Train denoiser').click();
    await until(() => progress().value > 0);
    el.data = makeDataset2D({ kind: 'rings', n: 300, seed: 1 });
    await el.done;
    await el.updateComplete;
    expect(progress().value).toBeLessThan(5000);
    expect(events.some((e) => e.done)).toBe(false);
    expect(root().querySelector('[role="status"]')!.textContent).toMatch(/the data changed/);
    expect(button('Train denoiser').disabled).toBe(false);
  }, 120_000);

  it('refuses to train without data', async () => {
    const { el, button, root, events } = mount({ gpu, data: new Float32Array(0), steps: 50 });
    await el.updateComplete;
    button('Train denoiser').click();
    await el.updateComplete;
    expect(root().querySelector('[role="alert"]')!.textContent).toMatch(/No 2D training data/);
    expect(events).toHaveLength(0);
  });
});
