/**
 * The soak: 1,000 quick parameter changes across the labs (Random, Attention, Recommendation at small sizes;
 * BatchNorm and Diffusion controls that only look or set up, never a long training), most runs superseded
 * before they finish. Afterwards nothing was thrown (no unhandled rejection, no alert, no GPU error) and
 * the live GPU buffers (createBuffer − destroy on the app's device) are as many as after a warm-up round.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskStatus } from '@lit/task';
import '../../src/ui/shell/app';
import type { KsApp } from '../../src/ui/shell/app';
import type { AppState, LabStates } from '../../src/state/store';
import type { LabRunController } from '../../src/ui/common/lab-run';
import type { BatchnormSession } from '../../src/ui/batchnorm/session';
import { sessionOf } from '../../src/ui/diffusion/session';
import { NO_ADAPTER_HELP } from '../gpu/gpu-test-context';
import { mountApp, unmountApp, until } from './helpers';

/** Every buffer created on a device handed to the app and not yet destroyed, with its label. */
const live = new Map<GPUBuffer, string>();
let restoreGpu: (() => void) | null = null;

/** Wraps navigator.gpu so that each device it hands out counts its buffers (the app's Runtime reads it). */
function countBuffers(): void {
  const gpu = navigator.gpu;
  const requestAdapter = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async (options) => {
    const adapter = await requestAdapter(options);
    if (!adapter) return adapter;
    const requestDevice = adapter.requestDevice.bind(adapter);
    adapter.requestDevice = async (descriptor) => {
      const device = await requestDevice(descriptor);
      const createBuffer = device.createBuffer.bind(device);
      device.createBuffer = (d: GPUBufferDescriptor) => {
        const buffer = createBuffer(d);
        live.set(buffer, d.label ?? '(unlabelled)');
        const destroy = buffer.destroy.bind(buffer);
        buffer.destroy = () => {
          live.delete(buffer);
          destroy();
        };
        return buffer;
      };
      return device;
    };
    return adapter;
  };
  restoreGpu = () => {
    gpu.requestAdapter = requestAdapter;
  };
}

function labelCounts(): Map<string, number> {
  const out = new Map<string, number>();
  for (const label of live.values()) out.set(label, (out.get(label) ?? 0) + 1);
  return out;
}

const rejections: unknown[] = [];
const onRejection = (e: PromiseRejectionEvent) => rejections.push(e.reason);

beforeEach(() => {
  rejections.length = 0;
  live.clear();
  window.addEventListener('unhandledrejection', onRejection);
});

afterEach(() => {
  window.removeEventListener('unhandledrejection', onRejection);
  unmountApp();
  restoreGpu?.();
  restoreGpu = null;
});

type LabKey = 'random' | 'attention' | 'recommend' | 'batchnorm' | 'diffusion';
const TAGS = {
  random: 'ks-random-lab',
  attention: 'ks-attention-lab',
  recommend: 'ks-recommend-lab',
  batchnorm: 'ks-batchnorm-lab',
  diffusion: 'ks-diffusion-lab',
} as const;

/** A small seeded generator (the soak is the same every time). */
function lcg(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  return { next, pick, int: (n: number) => Math.floor(next() * n) };
}
type Rng = ReturnType<typeof lcg>;

/** One parameter change per call, at sizes SwiftShader computes in a few milliseconds. */
const CHANGES: { [K in LabKey]: (r: Rng) => Partial<LabStates[K]> } = {
  random: (r) =>
    r.pick([
      { seed: r.int(1e6) },
      { count: r.pick([1000, 2000, 5000]) },
      { transform: r.pick(['uniform', 'standardized', 'irwin-hall', 'box-muller'] as const) },
      { bins: r.pick([8, 16, 32]) },
    ]),
  attention: (r) =>
    r.pick([
      { seed: r.int(1e6) },
      { mask: r.pick(['none', 'causal', 'padding', 'window'] as const) },
      { heads: r.pick([1, 2]) },
      { d: r.pick([4, 8]) },
      { path: r.pick(['auto', 'staged', 'fused'] as const) },
      { text: r.pick(['one two three', 'a b c d e f', 'the cat sat on the mat']) },
    ]),
  recommend: (r) =>
    r.pick([
      { method: r.pick(['relevance', 'mmr', 'dpp', 'calibration'] as const) },
      { lambda: r.int(21) / 20 },
      { theta: r.int(20) / 20 },
      { user: r.int(8) },
      { seed: r.pick([5, 6]) },
    ]),
  batchnorm: (r) =>
    r.pick([
      { seed: r.int(1e6) },
      { lr: r.pick([0.001, 0.01, 0.1]) },
      { width: r.pick([4, 8, 16]) },
      { depth: r.pick([1, 2]) },
      { batch: r.pick([8, 16, 32]) },
      { activation: r.pick(['relu', 'sigmoid', 'silu', 'gelu'] as const) },
      { view: r.pick(['train', 'eval'] as const) },
    ]),
  diffusion: (r) =>
    r.pick([
      { seed: r.int(1e6) },
      { points: r.pick([32, 64]) },
      { particles: r.pick([32, 64]) },
      { T: r.pick([20, 40]) },
      { steps: r.pick([5, 10]) },
      { sampler: r.pick(['ddpm-beta', 'ddpm-beta-tilde', 'ddim', 'ode-euler', 'ode-heun'] as const) },
      { schedule: r.pick(['linear', 'cosine', 'sigmoid'] as const) },
    ]),
};

/** The settings each lab is left with at the end of a round (the same after the warm-up and the soak). */
const FINAL: { [K in LabKey]: Partial<LabStates[K]> } = {
  random: { seed: 3, count: 2000, transform: 'box-muller', bins: 16 },
  attention: { seed: 3, mask: 'causal', heads: 2, d: 8, path: 'auto', text: 'one two three four' },
  recommend: { seed: 5, items: 1024, users: 8, user: 0, method: 'mmr', lambda: 0.5, theta: 0.7 },
  batchnorm: { task: 'spirals', seed: 1, lr: 0.01, width: 8, depth: 2, batch: 16, activation: 'relu' },
  diffusion: {
    dataset: 'two-moons',
    denoiser: 'exact',
    compare: 'off',
    seed: 7,
    points: 64,
    particles: 64,
    T: 20,
    steps: 5,
    sampler: 'ddim',
    schedule: 'cosine',
  },
};

const ORDER: LabKey[] = ['random', 'attention', 'recommend', 'batchnorm', 'diffusion'];
/** Changes per lab in one round; 5 rounds make the 1,000. */
const PER_ROUND: Record<LabKey, number> = {
  random: 50,
  attention: 50,
  recommend: 30,
  batchnorm: 35,
  diffusion: 35,
};
const ROUNDS = 5;
/** Changes per lab in the warm-up, each run left to finish. */
const WARM_UP = 12;
/** The most readbacks one run of a lab has in flight (attention staged: five stages and the row stats). */
const READS_PER_RUN = 6;
/** Live buffers the soak may add over the warm-up: two size classes (or first-use buffers) of one run. */
const MARGIN = 2 * READS_PER_RUN;

function labElement(app: KsApp, key: LabKey): (Element & { updateComplete: Promise<boolean> }) | null {
  return app.shadowRoot?.querySelector(TAGS[key]) ?? null;
}

async function go(app: KsApp, key: LabKey) {
  app.store.update((s: AppState) => ({ ...s, route: key }));
  return until(() => labElement(app, key), 30_000);
}

/** Whether the lab shows a finished result for its current settings with nothing left to do. */
function idle(app: KsApp, key: LabKey, lab: Element): boolean {
  if (key === 'batchnorm') {
    const s = (lab as unknown as { session: BatchnormSession }).session;
    return s.state === 'paused' && s.latest !== null && !s.preparing && s.error === null;
  }
  if (key === 'diffusion') {
    const s = sessionOf(app.runtime);
    return !s.busy && s.error === null && lab.shadowRoot!.querySelector('canvas') !== null;
  }
  const { run } = lab as unknown as { run: LabRunController<readonly unknown[], unknown> };
  return !run.pending && run.task.status === TaskStatus.COMPLETE;
}

/** Sets every lab to its FINAL settings in turn and lets each finish (the point where buffers are counted). */
async function finalRound(app: KsApp): Promise<void> {
  for (const key of ORDER) {
    const lab = await go(app, key);
    app.store.setLab(key, FINAL[key] as never);
    await lab.updateComplete;
    await until(() => idle(app, key, lab), 60_000);
  }
  await go(app, 'random').then((lab) => until(() => idle(app, 'random', lab), 60_000));
  const st = app.runtime.status;
  if (st.kind === 'ready') await st.ctx.device.queue.onSubmittedWorkDone();
}

/** `count` quick changes of lab `key`: most runs are superseded before they finish (unless `settle`). */
async function churn(app: KsApp, key: LabKey, count: number, r: Rng, settle = false): Promise<number> {
  const lab = await go(app, key);
  for (let i = 0; i < count; i++) {
    app.store.setLab(key, CHANGES[key](r) as never);
    await lab.updateComplete;
    if (settle) await until(() => idle(app, key, lab), 60_000);
    // Mostly none, sometimes a few ms: runs are superseded at every stage, some finish.
    const pause = r.next() < 0.7 ? 0 : r.pick([2, 8, 30]);
    await new Promise((res) => setTimeout(res, pause));
  }
  return count;
}

function expectNoErrors(app: KsApp): void {
  expect(rejections).toEqual([]);
  expect(app.runtime.errors).toEqual([]);
  expect(app.runtime.status.kind).toBe('ready');
  expect(app.shadowRoot!.querySelectorAll('[role="alert"]')).toHaveLength(0);
}

describe('soak', () => {
  it('1,000 parameter changes across the labs: no error, and live GPU buffers stay flat', async () => {
    if (!navigator.gpu || !(await navigator.gpu.requestAdapter())) throw new Error(NO_ADAPTER_HELP);
    countBuffers();
    const app = mountApp('/random?seed=3&count=2000&bins=16');
    await until(() => app.runtime.status.kind === 'ready', 30_000);
    const r = lcg(17);
    // Small sizes before any lab mounts (the defaults are sized for a real GPU).
    for (const key of ORDER) app.store.setLab(key, FINAL[key] as never);

    // Warm-up: changes that each finish, so that pools and grown-on-demand buffers meet most sizes.
    for (const key of ORDER) await churn(app, key, WARM_UP, r, true);
    await finalRound(app);
    expectNoErrors(app);
    const warm = labelCounts();
    const warmLive = live.size;

    const started = performance.now();
    let changes = 0;
    const afterRound: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const key of ORDER) changes += await churn(app, key, PER_ROUND[key], r);
      await finalRound(app);
      afterRound.push(live.size);
    }
    expect(changes).toBe(1000);
    const seconds = (performance.now() - started) / 1000;
    expectNoErrors(app);

    const grown: Record<string, number> = {};
    for (const [label, n] of labelCounts()) {
      const d = n - (warm.get(label) ?? 0);
      if (d !== 0) grown[label] = d;
    }
    console.log(
      `soak: ${changes} changes in ${seconds.toFixed(1)} s; live buffers after the warm-up ${warmLive}, after each round ${afterRound.join(', ')}; grown by label ${JSON.stringify(grown)}`,
    );
    // The margin: a readback pool keeps every buffer it made (one per read in flight per size class) and a
    // run has at most READS_PER_RUN reads in flight, so a size class the warm-up never completed adds at
    // most that many; so does a buffer a path creates on first use (attention.window). Never a shrink.
    for (const [label, d] of Object.entries(grown)) {
      expect(d, label).toBeGreaterThan(0);
      expect(d, label).toBeLessThanOrEqual(READS_PER_RUN);
    }
    expect(live.size - warmLive).toBeLessThanOrEqual(MARGIN);
    // A leak grows with the changes: the last three rounds (600 changes) leave exactly the same buffers.
    expect(afterRound.slice(-3)).toEqual([live.size, live.size, live.size]);
  }, 240_000);
});
