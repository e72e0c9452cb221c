/**
 * Device loss in the deterministic labs (Attention, Recommendation) inside the app shell: the device is lost
 * after a run, during a run, and again right after the recovery. Each time no promise rejection goes
 * unhandled, the shell shows a status line (never an alert), the lab re-runs on the new device (a new
 * generation, its engine on the new context) and shows and exports exactly the numbers it had before —
 * both labs are deterministic, so the comparison is exact (same WGSL on the same adapter, same inputs).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskStatus } from '@lit/task';
import '../../src/ui/shell/app';
import type { KsApp } from '../../src/ui/shell/app';
import type { LabRunController } from '../../src/ui/common/lab-run';
import type { AttentionSession, LabRun } from '../../src/ui/attention/session';
import type { RecommendRun } from '../../src/ui/recommend/session';
import { listsJson } from '../../src/ui/recommend/exports';
import type { GpuContext } from '../../src/gpu/device';
import { NO_ADAPTER_HELP } from '../gpu/gpu-test-context';
import { mountLab, unmountApp, until } from './helpers';

const rejections: unknown[] = [];
const onRejection = (e: PromiseRejectionEvent) => rejections.push(e.reason);

beforeEach(() => {
  rejections.length = 0;
  window.addEventListener('unhandledrejection', onRejection);
});

afterEach(() => {
  window.removeEventListener('unhandledrejection', onRejection);
  unmountApp();
});

/** The lab's run controller and session (component internals, read by this in-page test only). */
interface LabInternals<R> {
  run: LabRunController<readonly unknown[], R>;
  session: unknown;
}
const internals = <R>(lab: Element) => lab as unknown as LabInternals<R>;

/** What one lab shows and exports, compared exactly before and after a loss. */
interface Probe<R> {
  route: string;
  tag: 'ks-attention-lab' | 'ks-recommend-lab';
  key: 'attention' | 'recommend';
  /** A second setting (seed) whose run is the one interrupted. */
  otherSeed: number;
  snapshot(lab: Element, run: R): Promise<unknown>;
  /** Whether `run` was computed by the engine on `ctx`. */
  onDevice(app: KsApp, ctx: GpuContext, run: R): boolean;
}

const attention: Probe<LabRun> = {
  route: '/attention?text=one+two+three+four+five+six&heads=2&d=8&mask=causal&seed=3',
  tag: 'ks-attention-lab',
  key: 'attention',
  otherSeed: 11,
  snapshot: async (lab, run) => {
    // Every stage the run read back, and the weights and output the full-resolution exports write.
    const session = internals<LabRun>(lab).session as AttentionSession;
    const full = await session.fullResolution(run);
    const stages = Object.fromEntries(
      Object.entries(run.run.stages).map(([k, v]) => [k, Array.from(v as Float32Array)]),
    );
    return {
      stages,
      weights: Array.from(full.weights),
      output: Array.from(full.output),
      heatmaps: lab.shadowRoot!.querySelectorAll('canvas').length,
    };
  },
  onDevice: (app, ctx, run) =>
    app.runtime.hasEngine(ctx, 'attention') &&
    run.engine === app.runtime.engine(ctx, 'attention', () => ({ destroy() {} })),
};

const recommend: Probe<RecommendRun> = {
  route: '/recommend?users=8&items=1024&seed=5',
  tag: 'ks-recommend-lab',
  key: 'recommend',
  otherSeed: 6,
  snapshot: (lab, run) => {
    const root = lab.shadowRoot!;
    const text = (tag: string) => root.querySelector(tag)?.shadowRoot?.textContent?.replace(/\s+/g, ' ');
    // "Export lists (JSON)" writes listsJson; the lists and categories panels show the same numbers.
    return Promise.resolve({
      json: listsJson(run),
      lists: text('ks-recommend-lists'),
      categories: text('ks-recommend-categories'),
      auc: root.querySelector('.auc')?.textContent,
    });
  },
  onDevice: (app, ctx, run) => app.runtime.hasEngine(ctx, 'recommend') && run.backendLabel !== 'CPU',
};

/** Sets the lab's "Seed" field as a user would (type, then change). */
function setSeed(lab: Element, seed: number): void {
  const input = [...lab.shadowRoot!.querySelectorAll('label')]
    .find((l) => l.textContent?.trim().startsWith('Seed'))!
    .querySelector('input')!;
  input.value = String(seed);
  input.dispatchEvent(new Event('change'));
}

/** Waits for a completed run newer than `previous` (or any, when null), with nothing pending. */
async function settled<R>(lab: Element, previous: R | null): Promise<R> {
  const { run } = internals<R>(lab);
  return until(
    () =>
      !run.pending &&
      run.task.status === TaskStatus.COMPLETE &&
      run.last !== undefined &&
      run.last !== previous &&
      run.last,
    90_000,
  );
}

/** The ready context, failing with the adapter help when the browser has none. */
function readyCtx(app: KsApp) {
  const st = app.runtime.status;
  if (st.kind !== 'ready') throw new Error(NO_ADAPTER_HELP);
  return st.ctx;
}

/**
 * Waits until the runtime is ready on generation ≥ `generation` and the lab has a newer completed run on
 * that device; meanwhile notes every message the shell and the lab show.
 */
async function recovered<R>(app: KsApp, lab: Element, tag: string, generation: number, previous: R) {
  const seen = {
    shellAlerts: [] as string[],
    labAlerts: [] as string[],
    labStatus: new Set<string>(),
    statusLine: false,
  };
  const note = () => {
    const shell = app.shadowRoot!;
    if (shell.textContent?.includes('reconnecting by itself')) seen.statusLine = true;
    for (const a of shell.querySelectorAll('.banners [role="alert"]')) seen.shellAlerts.push(a.textContent!);
    for (const a of lab.shadowRoot!.querySelectorAll('[role="alert"]')) seen.labAlerts.push(a.textContent!);
    for (const a of lab.shadowRoot!.querySelectorAll('[role="status"]'))
      seen.labStatus.add(a.textContent!.replace(/\s+/g, ' ').trim());
  };
  await until(() => {
    note();
    return app.runtime.status.kind === 'ready' && app.runtime.generation >= generation;
  }, 20_000);
  const ctx = readyCtx(app);
  const { run } = internals<R>(lab);
  await until(() => {
    note();
    return (
      app.runtime.hasEngine(ctx, tag) &&
      !run.pending &&
      run.task.status === TaskStatus.COMPLETE &&
      run.last !== previous &&
      run.last
    );
  }, 90_000);
  note();
  return { ctx, last: run.last!, seen };
}

function expectCalm(app: KsApp, lab: Element, seen: Awaited<ReturnType<typeof recovered>>['seen']) {
  expect(rejections).toEqual([]);
  expect(seen.statusLine).toBe(true);
  // A status line while it recovers, never the blocking "lost" alert.
  expect(seen.shellAlerts).toEqual([]);
  // A run the loss interrupted may say so briefly; once recovered, nothing is left on screen.
  expect(seen.labAlerts).toEqual([]);
  // A run the loss interrupted says so (a status line), never that the user cancelled it.
  for (const text of seen.labStatus) expect(text).not.toMatch(/cancelled/i);
  expect(app.shadowRoot!.querySelectorAll('[role="alert"]')).toHaveLength(0);
  expect(lab.shadowRoot!.querySelectorAll('[role="alert"]')).toHaveLength(0);
  expect(app.shadowRoot!.textContent).not.toContain('reconnecting by itself');
  expect(app.runtime.errors).toEqual([]);
}

for (const probe of [attention, recommend] as Probe<unknown>[]) {
  describe(`${probe.tag}: device loss`, () => {
    it('after a run: recomputes on the new device with identical numbers', async () => {
      const { app, lab } = await mountLab(probe.route, probe.tag);
      const first = await settled<unknown>(lab, null);
      const before = await probe.snapshot(lab, first);
      const old = readyCtx(app);
      const generation = app.runtime.generation;
      expect(app.runtime.loseDevice()).toBe(true);
      const { ctx, last, seen } = await recovered(app, lab, probe.key, generation + 1, first);
      expect(app.runtime.generation).toBe(generation + 1);
      expect(ctx).not.toBe(old);
      expect(probe.onDevice(app, ctx, last)).toBe(true);
      expect(app.runtime.hasEngine(old, probe.key)).toBe(false); // the lost device's engine was dropped
      expectCalm(app, lab, seen);
      expect(await probe.snapshot(lab, last)).toEqual(before);
      expect(app.runtime.losses).toBe(1);
    });

    it('during a run, and again right after the recovery: the same numbers each time', async () => {
      const { app, lab } = await mountLab(probe.route, probe.tag);
      // The reference numbers of the other seed, then back to the first.
      const first = await settled<unknown>(lab, null);
      setSeed(lab, probe.otherSeed);
      const other = await settled<unknown>(lab, first);
      const expected = await probe.snapshot(lab, other);
      setSeed(lab, Number(new URLSearchParams(probe.route.split('?')[1]).get('seed')));
      const back = await settled<unknown>(lab, other);

      // Lose the device while the run of the other seed is in flight.
      const { run } = internals<unknown>(lab);
      const generation = app.runtime.generation;
      setSeed(lab, probe.otherSeed);
      await until(() => run.pending, 5_000, 0);
      const inFlight = run.task.taskComplete.then(
        () => 'fulfilled',
        (e: Error) => `rejected: ${e.name}: ${e.message}`,
      );
      expect(app.runtime.loseDevice()).toBe(true);
      let result = await recovered(app, lab, probe.key, generation + 1, back);
      // The interrupted run ended with a message, not as a cancel and not unhandled.
      expect(await inFlight).toMatch(/^rejected: InterruptedRunError: /);
      expect([...result.seen.labStatus].join('\n')).toContain(
        'The GPU device was lost during this run; it runs again by itself once a new device is ready',
      );
      expectCalm(app, lab, result.seen);
      expect(probe.onDevice(app, result.ctx, result.last)).toBe(true);
      expect(await probe.snapshot(lab, result.last)).toEqual(expected);

      // A second loss the moment the new device is ready, before the lab's re-run can finish.
      let lostAgain = false;
      const loseOnReady = () => {
        if (!lostAgain && app.runtime.status.kind === 'ready') lostAgain = app.runtime.loseDevice();
      };
      app.runtime.addEventListener('change', loseOnReady);
      try {
        expect(app.runtime.loseDevice()).toBe(true);
        const g = app.runtime.generation;
        await until(() => lostAgain, 20_000);
        result = await recovered(app, lab, probe.key, g + 2, result.last);
      } finally {
        app.runtime.removeEventListener('change', loseOnReady);
      }
      expect(app.runtime.generation).toBe(generation + 3);
      expect(app.runtime.losses).toBe(3);
      expectCalm(app, lab, result.seen);
      expect(probe.onDevice(app, result.ctx, result.last)).toBe(true);
      expect(await probe.snapshot(lab, result.last)).toEqual(expected);
    });
  });
}
