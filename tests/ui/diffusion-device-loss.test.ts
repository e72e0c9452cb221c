/**
 * The Diffusion lab after a lost GPU device (runtime.loseDevice(), as a driver reset would), in real
 * Chromium on SwiftShader, through the mounted app:
 * - the chain comes back at the same t with the same particles (exact: the last drawn frame's f32 values
 *   are uploaded to the new device), and stepping on — forward, and back through the rebuilt history —
 *   gives exactly the uninterrupted chain's numbers. Exact, not a tolerance: every random number is a pure
 *   function of (seed, particle, step) and the same WGSL on the same adapter rounds the same way; DDIM
 *   η = 0, the Heun ODE and DDPM (noise re-derived from the counter) alike;
 * - a loss while playing ends the step in flight with a status line (no alert, no unhandled rejection);
 * - the denoiser trainer resumes from its CPU snapshot, says how many steps were lost, its loss history
 *   continues, and the finished model equals an uninterrupted run's exactly (batches depend on seed and
 *   step only).
 */
import { afterEach, describe, expect, it } from 'vitest';
import '../../src/ui/shell/app';
import type { KsApp } from '../../src/ui/shell/app';
import { sessionOf, type DiffusionSession } from '../../src/ui/diffusion/session';
import type { DenoiserTrainedDetail, DenoiserTrainerPanel } from '../../src/ui/diffusion/train-panel';
import { GpuDenoiserTrainer } from '../../src/engine/denoiser-train';
import { DEFAULT_MLP_CONFIG, MLP_TRAINING } from '../../src/models/mlp-denoiser';
import { makeSchedule } from '../../src/models/schedules';
import { NO_ADAPTER_HELP } from '../gpu/gpu-test-context';
import { mountLab, unmountApp, until } from './helpers';

afterEach(() => {
  unmountApp();
});

/** t, step index and all particles of each pane's last drawn frame. */
function shown(s: DiffusionSession) {
  return s.panes.map((p) => ({
    t: p.frame!.t,
    k: p.frame!.stepIndex,
    positions: Array.from(p.frame!.positions!),
  }));
}

async function mountChain(route: string) {
  const { app, lab } = await mountLab(route, 'ks-diffusion-lab');
  const s = sessionOf(app.runtime);
  await until(() => s.panes[0]?.frame && !s.busy);
  if (app.runtime.status.kind !== 'ready') throw new Error(NO_ADAPTER_HELP);
  expect(s.panes[0]!.runner.backend).toBe('gpu');
  return { app, lab, s };
}

/** Loses the device and waits for the new one and for the panes to be re-created on it. */
async function loseAndRecover(app: KsApp, s: DiffusionSession) {
  const generation = app.runtime.generation;
  const old = s.panes;
  expect(app.runtime.loseDevice()).toBe(true);
  await until(() => app.runtime.status.kind === 'ready' && app.runtime.generation === generation + 1);
  await until(() => s.panes !== old && s.panes.every((p) => p.frame) && !s.busy);
  expect(s.panes[0]!.runner).not.toBe(old[0]!.runner);
}

async function stepTimes(s: DiffusionSession, n: number) {
  for (let i = 0; i < n; i++) await s.stepForward();
}

describe('Diffusion lab: device loss', () => {
  it('DDIM η = 0 beside the Heun ODE: same t and particles after recovery, then the uninterrupted chain exactly', async () => {
    const { app, lab, s } = await mountChain(
      '/diffusion?sampler=ddim&eta=0&steps=10&T=20&particles=300&seed=3&compare=sampler&samplerB=ode-heun',
    );
    const frames = [shown(s)];
    for (let i = 0; i < 4; i++) {
      await s.stepForward();
      frames.push(shown(s));
    }
    const before = frames[4]!;
    expect(before[0]!.k).toBe(4);
    await loseAndRecover(app, s);
    expect(shown(s)).toEqual(before); // the picture as it was (every particle, exact)
    expect(s.error).toBeNull();
    await until(() => lab.shadowRoot!.querySelector('output')?.textContent?.includes(`t = ${before[0]!.t}`));
    // Back through the history rebuilt on the new device, then forward again: the chain's own numbers.
    await s.stepBack();
    expect(shown(s)).toEqual(frames[3]);
    await s.stepForward();
    expect(shown(s)).toEqual(before);
    await stepTimes(s, 3);
    const resumed = shown(s);
    // The uninterrupted chain, from the start on the new device.
    await s.reset();
    await stepTimes(s, 7);
    expect(resumed[0]!.k).toBe(7);
    expect(shown(s)).toEqual(resumed);
    expect(app.runtime.losses).toBe(1);
  });

  it('DDPM while playing: the step in flight ends with a status line, the chain continues exactly', async () => {
    const { app, lab, s } = await mountChain(
      '/diffusion?sampler=ddpm-beta-tilde&T=20&particles=200&seed=4&speed=30',
    );
    const generation = app.runtime.generation;
    s.togglePlay();
    await until(() => s.panes[0]!.frame!.stepIndex >= 3, 60_000, 5);
    const old = s.panes;
    app.runtime.loseDevice();
    const status = await until(() => lab.shadowRoot!.querySelector('p.lost[role="status"]'), 60_000, 5);
    expect(status.textContent).toMatch(
      /GPU device was lost during this operation; the chain continues from t = \d+/,
    );
    expect(lab.shadowRoot!.querySelector('[role="alert"]')).toBeNull();
    expect(s.playing).toBe(false);
    const before = old.map((p) => ({
      t: p.frame!.t,
      k: p.frame!.stepIndex,
      positions: Array.from(p.frame!.positions!),
    }));
    await until(() => app.runtime.status.kind === 'ready' && app.runtime.generation === generation + 1);
    await until(() => s.panes !== old && s.panes[0]?.frame && !s.busy);
    expect(shown(s)).toEqual(before);
    await until(() => !lab.shadowRoot!.querySelector('p.lost'));
    await stepTimes(s, 2);
    const resumed = shown(s);
    await s.reset();
    await stepTimes(s, before[0]!.k + 2);
    expect(shown(s)).toEqual(resumed);
  });

  it('a second loss while the chain is being re-created is handled the same way', async () => {
    const { app, lab, s } = await mountChain(
      '/diffusion?sampler=ddim&eta=0&steps=8&T=16&particles=150&seed=5',
    );
    await stepTimes(s, 3);
    const before = shown(s);
    const generation = app.runtime.generation;
    const old = s.panes;
    app.runtime.loseDevice();
    // Lose the new device as soon as it is there: the re-creation on it is queued or in flight.
    await until(
      () => app.runtime.generation === generation + 1 && app.runtime.status.kind === 'ready',
      60_000,
      1,
    );
    expect(app.runtime.loseDevice()).toBe(true);
    await until(() => app.runtime.status.kind === 'ready' && app.runtime.generation === generation + 2);
    await until(() => s.panes !== old && s.panes[0]?.frame && !s.busy && !s.lost);
    const ready = app.runtime.status;
    if (ready.kind !== 'ready') throw new Error('no device after recovery');
    expect(app.runtime.hasEngine(ready.ctx, 'diffusion')).toBe(true);
    expect(shown(s)).toEqual(before);
    expect(s.error).toBeNull();
    expect(lab.shadowRoot!.querySelector('[role="alert"]')).toBeNull();
    await stepTimes(s, 2);
    const resumed = shown(s);
    await s.reset();
    await stepTimes(s, 5);
    expect(shown(s)).toEqual(resumed);
    expect(app.runtime.losses).toBe(2);
  });

  it('the denoiser trainer resumes from its snapshot, says so, and ends as an uninterrupted run', async () => {
    const { app, lab } = await mountChain('/diffusion?T=20&particles=100&points=200&seed=2');
    const panel = await until(() =>
      lab.shadowRoot!.querySelector<DenoiserTrainerPanel>('ks-denoiser-trainer'),
    );
    const events: DenoiserTrainedDetail[] = [];
    lab.addEventListener('denoiser-trained', (e) =>
      events.push((e as CustomEvent<DenoiserTrainedDetail>).detail),
    );
    const steps = 1000;
    Object.assign(panel, { steps, batch: 32 });
    await panel.updateComplete;
    const history = panel as unknown as { lossSteps: number[]; losses: number[] };
    const progress = () =>
      panel.shadowRoot!.querySelector<HTMLProgressElement>('progress[aria-label="Training progress"]')!;
    const button = (name: string) =>
      [...panel.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent!.trim() === name)!;
    button('Train denoiser').click();
    // Samples of (time, step shown) to bound the snapshot's age.
    const samples: Array<[number, number]> = [];
    const clicked = performance.now();
    await until(
      () => {
        samples.push([performance.now(), progress().value]);
        return progress().value >= 30 && performance.now() - clicked > 4000;
      },
      60_000,
      10,
    );
    const lostAt = performance.now();
    const shownStep = progress().value;
    const historyBefore = [...history.lossSteps];
    expect(shownStep).toBeLessThan(steps); // still running
    app.runtime.loseDevice();
    const status = panel.shadowRoot!.querySelector('p.status')!;
    const text = await until(() =>
      /Resumed at step \d+ after a GPU loss \(\d+ steps lost\)\.|The run restarted/.exec(status.textContent!),
    );
    const m = /Resumed at step (\d+) after a GPU loss \((\d+) steps lost\)/.exec(text[0]);
    expect(m, `status: ${status.textContent}`).not.toBeNull();
    const [resumedAt, lost] = [Number(m![1]), Number(m![2])];
    // The lost steps run from the snapshot to the last step shown (which may have advanced one chunk
    // between our read and the loss).
    expect(resumedAt + lost).toBeGreaterThanOrEqual(shownStep);
    expect(resumedAt).toBeLessThanOrEqual(shownStep);
    // The snapshot is refreshed at least once a second, after a chunk (≈ 250 ms): it is no older than
    // the step shown 2 s before the loss (margin for a busy machine's timers).
    const twoSecondsBefore = samples.filter(([t]) => t <= lostAt - 2000).at(-1)![1];
    console.info(`trainer: ${text[0]} shown ${shownStep}, 2 s before ${twoSecondsBefore}`);
    expect(twoSecondsBefore).toBeGreaterThan(0); // the bound says something
    expect(resumedAt).toBeGreaterThanOrEqual(twoSecondsBefore);
    await until(() => progress().value >= steps && button('Train denoiser').disabled === false);
    // The loss history: what was recorded up to the snapshot, then the resumed run's steps to the end.
    const kept = historyBefore.filter((k) => k <= resumedAt);
    expect(history.lossSteps.slice(0, kept.length)).toEqual(kept);
    expect(history.lossSteps.at(-1)).toBe(steps);
    for (let i = 1; i < history.lossSteps.length; i++) {
      expect(history.lossSteps[i]!).toBeGreaterThan(history.lossSteps[i - 1]!);
    }
    expect(history.losses.every(Number.isFinite)).toBe(true);
    const last = events.at(-1)!;
    expect(last.done).toBe(true);
    // The same run without a loss, on the new device: the same parameters exactly.
    const ready = app.runtime.status;
    if (ready.kind !== 'ready') throw new Error('no device after recovery');
    const trainer = new GpuDenoiserTrainer(ready.ctx.device, {
      data: Float32Array.from(panel.data),
      schedule: makeSchedule(MLP_TRAINING.schedule),
      config: { ...DEFAULT_MLP_CONFIG },
      steps,
      batch: 32,
      learningRate: 2e-3,
      seed: panel.seed,
    });
    try {
      await trainer.run({ chunk: 50 });
      expect(Array.from(last.model.params)).toEqual(Array.from((await trainer.model()).params));
    } finally {
      trainer.destroy();
    }
  });
});
