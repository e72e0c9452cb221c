/**
 * The BatchNorm lab survives a lost GPU device: training resumes on the Runtime's new device from the CPU
 * snapshot of the training state, the lost steps stay within what one second of training allows, and the
 * resumed run follows the uninterrupted trajectory.
 *
 * Tolerance: the snapshot is the GPU's own f32 state and the new device runs the same kernels on the same
 * batches (the step counter picks the batch), so the resumed losses equal an uninterrupted run's; they are
 * compared within the BatchNorm tests' training tolerance, 1e-3 relative on losses
 * (tests/gpu/batchnorm-engine.test.ts), and the largest difference is printed.
 * Lost-steps bound: a snapshot is taken by the first step that starts SNAPSHOT_EVERY_MS (1 s) after the
 * last one, so every lost step started within 1 s of the snapshot's step: lost ≤ ⌈r · 1 s⌉ + 1, r the
 * fastest speed (steps/s, the session's 20-step window) seen in the last 1.5 s before the loss, + 1 for
 * the step in flight when the device went.
 */
import { afterEach, describe, expect, it } from 'vitest';
import '../../src/ui/shell/app';
import { GpuBatchNormEngine, type BatchNormLabConfig } from '../../src/engine/batchnorm';
import type { BatchnormLab } from '../../src/ui/batchnorm/batchnorm-lab';
import { SNAPSHOT_EVERY_MS } from '../../src/ui/batchnorm/session';
import type { KsApp } from '../../src/ui/shell/app';
import { NO_ADAPTER_HELP } from '../gpu/gpu-test-context';
import { mountLab, unmountApp, until } from './helpers';

afterEach(() => {
  unmountApp();
});

const CONFIG: BatchNormLabConfig = {
  task: 'spirals',
  lr: 0.01,
  batch: 16,
  depth: 2,
  width: 8,
  seed: 5,
  activation: 'relu',
};
const ROUTE = `/batchnorm?task=spirals&lr=0.01&batch=16&depth=2&width=8&seed=5&activation=relu`;
const RESUMED = /Resumed at step (\d+) after a GPU loss \((\d+) steps? lost\)\./;
/** Steps trained after the resume and compared with the uninterrupted run. */
const K = 60;

async function mount(route = ROUTE): Promise<{ app: KsApp; lab: BatchnormLab }> {
  if (!navigator.gpu || !(await navigator.gpu.requestAdapter())) throw new Error(NO_ADAPTER_HELP);
  const { app, lab } = await mountLab(route, 'ks-batchnorm-lab');
  const bn = lab as BatchnormLab;
  await until(() => bn.session.latest && bn.session.backendLabel);
  if (app.runtime.status.kind !== 'ready') throw new Error(NO_ADAPTER_HELP);
  return { app, lab: bn };
}

/** Trains to at least `steps` steps; returns the fastest speed seen in the last 1.5 s. */
async function trainTo(lab: BatchnormLab, steps: number): Promise<number> {
  const s = lab.session;
  s.train();
  const rates: [number, number][] = [];
  await until(
    () => {
      const r = s.stepsPerSecond;
      if (r !== null) rates.push([performance.now(), r]);
      return s.history.steps >= steps && s.snapshot !== null;
    },
    120_000,
    10,
  );
  const now = performance.now();
  return Math.max(...rates.filter(([t]) => now - t <= 1500).map(([, r]) => r));
}

/** The uninterrupted run's batch losses (with BN, without BN) of steps 0 … n − 1, on a device of its own. */
async function reference(n: number, config = CONFIG): Promise<[number, number][]> {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter!.requestDevice();
  const engine = new GpuBatchNormEngine({ device }, config);
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const r = await engine.step({ train: true, view: 'train', layer: 0, unit: 0 });
    out.push([r.loss.withBN, r.loss.withoutBN]);
  }
  engine.destroy();
  device.destroy();
  return out;
}

/** Compares the lab's whole history (kept before the snapshot, trained after it) with the reference. */
async function expectUninterrupted(lab: BatchnormLab, label: string, config = CONFIG): Promise<void> {
  const h = lab.session.history;
  const n = h.steps;
  const ref = await reference(n, config);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const got = [h.loss.withBN.at(i)!, h.loss.withoutBN.at(i)!];
    for (const k of [0, 1]) {
      const want = ref[i]![k]!;
      const diff = Math.abs(got[k]! - want);
      worst = Math.max(worst, diff / want);
      expect(diff, `${label}: step ${i} loss ${k ? 'without' : 'with'} BN`).toBeLessThanOrEqual(1e-3 * want);
    }
  }
  console.log(`${label}: ${n} steps, largest relative loss difference ${worst.toExponential(2)}`);
}

function resumedAt(lab: BatchnormLab): { step: number; lost: number } | null {
  const m = RESUMED.exec(lab.session.recovery);
  return m ? { step: Number(m[1]), lost: Number(m[2]) } : null;
}

describe('BatchNorm lab: GPU device loss', () => {
  it('loses the device mid-training and resumes from the snapshot on a new device', async () => {
    const { app, lab } = await mount();
    const s = lab.session;
    const rate = await trainTo(lab, 250);
    const generation = app.runtime.generation;
    const before = s.history.steps;
    expect(app.runtime.loseDevice()).toBe(true);
    await until(() => s.recovery.startsWith('The GPU device was lost at step'));
    await until(() => resumedAt(lab), 30_000);
    expect(app.runtime.generation).toBe(generation + 1);
    const { step, lost } = resumedAt(lab)!;
    const bound = Math.ceil((rate * SNAPSHOT_EVERY_MS) / 1000) + 1;
    console.log(
      `mid-training loss: resumed at ${step}, ${lost} lost (bound ${bound} at ${rate.toFixed(1)}/s)`,
    );
    expect(step + lost).toBeGreaterThanOrEqual(before);
    expect(lost).toBeLessThanOrEqual(bound);
    expect(lab.shadowRoot!.textContent).toContain(s.recovery);
    // It keeps training on the new device, from the snapshot's step.
    expect(s.state).toBe('training');
    await until(() => s.history.steps >= step + K, 120_000);
    s.pause();
    await until(() => s.state === 'paused');
    expect(s.error).toBeNull();
    expect(lab.shadowRoot!.querySelector('[role="alert"]')).toBeNull();
    await expectUninterrupted(lab, 'mid-training loss');
  });

  it('loses the device while paused and resumes at the paused step (nothing lost), still paused', async () => {
    const { app, lab } = await mount();
    const s = lab.session;
    await trainTo(lab, 150);
    s.pause();
    await until(() => s.state === 'paused' && s.snapshot?.step === s.history.steps);
    const paused = s.history.steps;
    const generation = app.runtime.generation;
    expect(app.runtime.loseDevice()).toBe(true);
    await until(() => resumedAt(lab), 30_000);
    expect(app.runtime.generation).toBe(generation + 1);
    expect(resumedAt(lab)).toEqual({ step: paused, lost: 0 });
    await until(() => s.latest?.step === paused && s.state === 'paused');
    expect(s.history.steps).toBe(paused);
    s.train();
    await until(() => s.history.steps >= paused + K, 120_000);
    s.pause();
    await until(() => s.state === 'paused');
    expect(s.error).toBeNull();
    await expectUninterrupted(lab, 'paused loss');
  });

  it('without a snapshot yet (lost at step 0) it says plainly that the run restarted', async () => {
    const { app, lab } = await mount();
    const s = lab.session;
    expect(s.snapshot).toBeNull();
    const generation = app.runtime.generation;
    expect(app.runtime.loseDevice()).toBe(true);
    await until(() => s.recovery === 'The run restarted after a GPU loss.', 30_000);
    expect(app.runtime.generation).toBe(generation + 1);
    await until(() => s.state === 'paused' && s.latest?.step === 0);
    expect(lab.shadowRoot!.textContent).toContain('The run restarted after a GPU loss.');
    expect(s.error).toBeNull();
    s.train();
    await until(() => s.history.steps >= 20);
    s.pause();
    await until(() => s.state === 'paused');
    await expectUninterrupted(lab, 'restart');
  });

  it('a second loss during the recovery is handled the same way', async () => {
    const { app, lab } = await mount();
    const s = lab.session;
    const rate = await trainTo(lab, 120);
    const before = s.history.steps;
    const generation = app.runtime.generation;
    // The new device is lost the moment it is ready, before the lab has rebuilt its engine on it.
    let second = false;
    const loseAgain = () => {
      if (!second && app.runtime.status.kind === 'ready' && app.runtime.generation === generation + 1) {
        second = app.runtime.loseDevice();
      }
    };
    app.runtime.addEventListener('change', loseAgain);
    try {
      expect(app.runtime.loseDevice()).toBe(true);
      await until(() => second, 30_000);
      await until(() => app.runtime.generation === generation + 2 && resumedAt(lab), 30_000);
    } finally {
      app.runtime.removeEventListener('change', loseAgain);
    }
    expect(app.runtime.losses).toBe(2);
    const { step, lost } = resumedAt(lab)!;
    const bound = Math.ceil((rate * SNAPSHOT_EVERY_MS) / 1000) + 1;
    console.log(`second loss: resumed at ${step}, ${lost} lost (bound ${bound} at ${rate.toFixed(1)}/s)`);
    // Counted from the step reached before the first loss: the failed rebuild lost nothing more.
    expect(step + lost).toBeGreaterThanOrEqual(before);
    expect(lost).toBeLessThanOrEqual(bound);
    expect(s.state).toBe('training');
    await until(() => s.history.steps >= step + K, 120_000);
    s.pause();
    await until(() => s.state === 'paused');
    expect(s.error).toBeNull();
    expect(lab.shadowRoot!.querySelector('[role="alert"]')).toBeNull();
    await expectUninterrupted(lab, 'second loss');
  });
});

describe('BatchNorm lab: GPU device loss on an image task', () => {
  it('resumes with the same glyphs (not rendered again) and the held-out looks up to the snapshot', async () => {
    const { app, lab } = await mount(ROUTE.replace('spirals', 'digits') + '&pixels=16');
    const s = lab.session;
    const images = s.images!;
    expect(images.data.test?.labels.length).toBeGreaterThan(0);
    const rate = await trainTo(lab, 120);
    const before = s.history.steps;
    expect(app.runtime.loseDevice()).toBe(true);
    await until(() => resumedAt(lab), 30_000);
    const { step, lost } = resumedAt(lab)!;
    const bound = Math.ceil((rate * SNAPSHOT_EVERY_MS) / 1000) + 1;
    console.log(`image task: resumed at ${step}, ${lost} lost (bound ${bound} at ${rate.toFixed(1)}/s)`);
    expect(step + lost).toBeGreaterThanOrEqual(before);
    expect(lost).toBeLessThanOrEqual(bound);
    expect(s.images).toBe(images);
    expect(s.history.held.step.every((at) => at <= step)).toBe(true);
    await until(() => s.history.steps >= step + K, 120_000);
    s.pause();
    await until(() => s.state === 'paused');
    expect(s.error).toBeNull();
    // Held-out looks continue after the resume (every EVAL_EVERY steps and at the pause).
    expect(s.history.held.step.at(-1)).toBe(s.history.steps);
    await expectUninterrupted(lab, 'image task', { ...CONFIG, task: 'digits', data: images.data });
  });
});

describe('GpuBatchNormEngine snapshots', () => {
  /** A small fixed data set with a held-out split (2 batches), so the step also runs the held-out passes. */
  function data(): NonNullable<BatchNormLabConfig['data']> {
    const rows = 64;
    const inDim = 3;
    const x = (n: number, k: number) => Float32Array.from({ length: n * inDim }, (_, i) => Math.sin(i * k));
    const y = (n: number) => Array.from({ length: n }, (_, i) => i % 3);
    return {
      inputs: x(rows, 0.37),
      labels: y(rows),
      classes: 3,
      test: { inputs: x(32, 0.71), labels: y(32) },
    };
  }

  it('are the f32 state bit for bit: a restored engine reads the same state and takes the same steps', async () => {
    const device = async () => {
      const adapter = await navigator.gpu?.requestAdapter();
      if (!adapter) throw new Error(NO_ADAPTER_HELP);
      return adapter.requestDevice();
    };
    const devices = [await device(), await device()];
    const config: BatchNormLabConfig = { ...CONFIG, task: 'digits', data: data() };
    const a = new GpuBatchNormEngine({ device: devices[0]! }, config);
    const step = { train: true, view: 'train', layer: 1, unit: 3 } as const;
    for (let i = 0; i < 30; i++) await a.step(step);
    // The snapshot rides on a step that also evaluates the held-out split in the eval view.
    const r = await a.step({ ...step, view: 'eval', evaluate: true, snapshot: true });
    const snap = r.snapshot!;
    expect(r.heldOut?.count).toBe(32);
    expect(snap.step).toBe(31);
    expect(snap.nets.map((n) => n.t)).toEqual([31, 31]);
    // Adam moments are part of it (non-zero after 31 steps), as are the running statistics.
    expect(Object.keys(snap.nets[0].tensors)).toEqual(
      expect.arrayContaining(['layers.0.weight.m', 'layers.0.weight.v', 'layers.1.bn.running_var']),
    );
    expect(snap.nets[0].tensors['layers.0.weight.v']!.some((v) => v > 0)).toBe(true);
    const b = new GpuBatchNormEngine({ device: devices[1]! }, config, snap);
    expect(b.steps).toBe(31);
    // Exact invariants: the state read back on both devices is identical (no tolerance: a copy).
    const [sa, sb] = [await a.readSnapshot(), await b.readSnapshot()];
    for (const k of [0, 1]) {
      for (const [name, values] of Object.entries(sa.nets[k]!.tensors)) {
        expect(sb.nets[k]!.tensors[name], name).toEqual(values);
        expect(snap.nets[k]!.tensors[name], name).toEqual(values);
      }
    }
    // Same kernels, same state, same batches: the same losses, within the training tolerance (1e-3 rel.).
    for (let i = 0; i < 20; i++) {
      const [ra, rb] = [await a.step(step), await b.step(step)];
      expect(rb.step).toBe(ra.step);
      for (const k of ['withBN', 'withoutBN'] as const) {
        expect(Math.abs(rb.loss[k] - ra.loss[k])).toBeLessThanOrEqual(1e-3 * ra.loss[k]);
      }
    }
    // A snapshot of another shape is refused before anything is written.
    expect(() => new GpuBatchNormEngine({ device: devices[1]! }, { ...config, width: 4 }, snap)).toThrow(
      RangeError,
    );
    a.destroy();
    b.destroy();
    for (const d of devices) d.destroy();
  });
});
