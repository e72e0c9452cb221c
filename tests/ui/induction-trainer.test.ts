/**
 * <ks-induction-trainer> in real Chromium on the WebGPU adapter (SwiftShader here, about a step a second, so
 * runs are ≤ 30 steps): without WebGPU the button is disabled with the note; a 12-step run ends with
 * "Trained 12 steps", `induction-trained` events with the model and its float64 scores, the last one done,
 * and two charts; Cancel, a new seed, a destroyed device and a replaced `gpu` each stop the run and leave the
 * button usable; after the loss, Train continues from the last evaluated model.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import '../../src/ui/attention/induction-trainer';
import {
  noWebgpuNote,
  type InductionTrainedDetail,
  type InductionTrainerPanel,
} from '../../src/ui/attention/induction-trainer';
import { bestScores } from '../../src/ui/attention/induction-watch';
import { evaluateInduction, heldOutBatch, parameterCount } from '../../src/models/induction/index';
import type { GpuContext } from '../../src/gpu/device';
import { testGpu } from '../gpu/gpu-test-context';
import { until as untilEvery } from './helpers';

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await testGpu();
});

const until = <T>(fn: () => T | null | undefined | false) => untilEvery(fn, 100_000, 25);

const rejections: unknown[] = [];
const onRejection = (e: PromiseRejectionEvent) => rejections.push(e.reason);
beforeEach(() => {
  rejections.length = 0;
  window.addEventListener('unhandledrejection', onRejection);
});
afterEach(() => {
  document.querySelectorAll('ks-induction-trainer').forEach((e) => e.parentElement!.remove());
  window.removeEventListener('unhandledrejection', onRejection);
});

function mount(props: Partial<InductionTrainerPanel>) {
  const el = document.createElement('ks-induction-trainer');
  Object.assign(el, props);
  const events: InductionTrainedDetail[] = [];
  // Listen above the element: the event bubbles (and is composed) out of it.
  const host = document.createElement('div');
  host.addEventListener('induction-trained', (e) =>
    events.push((e as CustomEvent<InductionTrainedDetail>).detail),
  );
  host.append(el);
  document.body.append(host);
  const root = () => el.shadowRoot!;
  const button = (name: string) =>
    [...root().querySelectorAll('button')].find((b) => b.textContent!.trim() === name);
  const train = () => button('Train the induction model')!;
  const status = () => root().querySelector('[role="status"]')!.textContent!.trim();
  return { el, events, root, button, train, status };
}

describe('ks-induction-trainer', () => {
  it('without WebGPU the button is disabled, with the note; the controls have names and defaults', async () => {
    const { el, root, train, button } = mount({ gpu: null });
    await el.updateComplete;
    expect(train().disabled).toBe(true);
    expect(button('Cancel')).toBeUndefined();
    expect(root().textContent!.replace(/\s+/g, ' ')).toContain(noWebgpuNote());
    expect(noWebgpuNote()).toBe(
      'Training in this page needs WebGPU; the CPU reference takes about a second per step here. The ' +
        'shipped trained model works on every backend.',
    );
    const select = root().querySelector('select')!;
    expect(select.closest('label')!.textContent).toMatch(/^\s*Steps/);
    expect([...select.options].map((o) => Number(o.value))).toEqual([500, 2000, 8000, 16000, 32000]);
    expect(select.value).toBe('16000');
    expect([el.steps, el.seed]).toEqual([16000, 1]);
    select.value = '500';
    select.dispatchEvent(new Event('change'));
    expect(el.steps).toBe(500);
    const box = root().querySelector<HTMLInputElement>('input[type="checkbox"]')!;
    expect(box.closest('label')!.textContent!.trim()).toBe('Stop once the induction score passes 0.8');
    expect(box.checked).toBe(true);
    box.click();
    expect(el.stopAtTarget).toBe(false);
    // Clicking anyway (or start()) trains nothing on the CPU.
    el.start();
    await el.updateComplete;
    expect(train().disabled).toBe(true);
  });

  it('trains 12 steps: events with the model and its float64 scores, the last done; status and charts', async () => {
    const { el, events, root, train, button, status } = mount({ gpu, steps: 12, seed: 3 });
    await el.updateComplete;
    expect(train().disabled).toBe(false);
    expect(status()).toMatch(/^Trains the 2-layer attention-only model in WGSL/);
    train().click();
    await el.updateComplete;
    expect(train().disabled).toBe(true);
    expect(button('Cancel')).toBeDefined();
    const seen = new Set<string>();
    await until(() => {
      seen.add(status());
      return events.some((e) => e.done);
    });
    await el.done;
    await el.updateComplete;
    expect(status()).toMatch(/^Trained 12 steps in [\d.]+ s; induction score \d\.\d\d, below 0\.8$/);
    const progress = [...seen].find((s) => /^Step \d+ of 12 · loss \d\.\d\d · prefix-matching/.test(s));
    expect(progress, [...seen].join(' | ')).toMatch(/· previous-token \d\.\d\d · [\d.]+ steps\/s$/);
    // Events: steps increase, only the last is done, every one carries the whole model.
    expect(events.length).toBeGreaterThanOrEqual(1);
    const steps = events.map((e) => e.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBe(steps.length);
    expect(events.map((e) => e.done)).toEqual([...Array(events.length - 1).fill(false), true]);
    const last = events.at(-1)!;
    expect([last.step, last.totalSteps]).toEqual([12, 12]);
    for (const e of events) {
      expect(e.params).toBeInstanceOf(Float32Array);
      expect(e.params.length).toBe(parameterCount());
      expect(e.params.every(Number.isFinite)).toBe(true);
      expect(Number.isFinite(e.loss) && e.loss > 0).toBe(true);
    }
    // 12 steps of Adam at warm-up lr: the loss is still near ln 65 ≈ 4.17 (uniform over 64 tokens + BOS).
    expect(last.loss).toBeGreaterThan(2);
    expect(last.loss).toBeLessThan(5);
    // The scores are the float64 ones of the event's own parameters on heldOutBatch(seed + 1000, 32):
    // the same code on the same f32 inputs, so exactly equal.
    const direct = evaluateInduction(last.params, heldOutBatch(3 + 1000, 32));
    expect([last.prefixMatching, last.previousToken, last.secondCopyLoss]).toEqual([
      bestScores(direct).prefixMatching,
      bestScores(direct).previousToken,
      direct.secondCopy.loss,
    ]);
    expect(last.prefixMatching).toBeLessThan(0.8); // not trained yet, so the run went all 12 steps
    // The model moved.
    if (events.length > 1) expect(Array.from(events[0]!.params)).not.toEqual(Array.from(last.params));
    // Charts: the loss per chunk and the two scores (+ the dashed target), each labelled with its latest values.
    const loss = root().querySelector('svg.loss')!;
    const lossPath = loss.querySelector('path.series');
    expect(lossPath?.getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+/);
    expect(loss.getAttribute('role')).toBe('img');
    expect(loss.getAttribute('aria-label')).toMatch(/^Training loss per chunk: \d\.\d{3} nats at step 12\.$/);
    const scores = root().querySelector('svg.scores')!;
    expect(scores.querySelectorAll('path.series')).toHaveLength(3);
    expect(scores.getAttribute('aria-label')).toContain(
      `at step 12: best layer-1 prefix-matching ${last.prefixMatching.toFixed(3)}, best layer-0 ` +
        `previous-token ${last.previousToken.toFixed(3)} (target 0.8)`,
    );
    expect(train().disabled).toBe(false);
    expect(button('Cancel')).toBeUndefined();
    expect(rejections).toEqual([]);
  }, 120_000);

  it('stops once the induction score passes the target (here a low one), unless the box is unchecked', async () => {
    // At initialisation the best layer-1 prefix-matching score is ≈ 1/40 (near-uniform attention), far
    // above 0.001: the first evaluation passes, the next chunk ends the run with a last evaluation.
    const early = mount({ gpu, steps: 30, target: 0.001 });
    await early.el.updateComplete;
    expect(early.root().querySelector('input[type="checkbox"]')!.closest('label')!.textContent!.trim()).toBe(
      'Stop once the induction score passes 0.001',
    );
    early.train().click();
    await until(() => early.events.some((e) => e.done));
    await early.el.done;
    await early.el.updateComplete;
    const [first, ...rest] = early.events;
    expect(first!.prefixMatching).toBeGreaterThanOrEqual(0.001);
    expect(rest.map((e) => e.done)).toEqual([true]);
    const last = rest[0]!;
    expect(last.step).toBeGreaterThan(first!.step);
    expect(last.step).toBeLessThan(30);
    expect(early.status()).toMatch(
      new RegExp(
        `^Trained ${last.step} steps in [\\d.]+ s; induction score \\d\\.\\d\\d passed 0\\.001 at step ${first!.step}$`,
      ),
    );
    early.el.remove();
    const all = mount({ gpu, steps: 3, target: 0.001, stopAtTarget: false });
    await all.el.updateComplete;
    all.train().click();
    await until(() => all.events.some((e) => e.done));
    await all.el.done;
    await all.el.updateComplete;
    expect(all.events.at(-1)!.step).toBe(3);
    expect(all.status()).toMatch(
      /^Trained 3 steps in [\d.]+ s; induction score \d\.\d\d passed 0\.001 at step 1$/,
    );
    expect(rejections).toEqual([]);
  }, 120_000);

  it('Cancel after the first event stops the run short of the end; no done event; the button returns', async () => {
    const { el, events, train, button, status } = mount({ gpu, steps: 30 });
    await el.updateComplete;
    train().click();
    await until(() => events.length > 0);
    await el.updateComplete;
    button('Cancel')!.click();
    await el.done;
    await el.updateComplete;
    const m = status().match(
      /^Training cancelled at step (\d+) of 30\. The model from step (\d+) is kept\.$/,
    );
    expect(m, status()).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(30);
    expect(Number(m![2])).toBe(events.at(-1)!.step);
    expect(events.some((e) => e.done)).toBe(false);
    expect(train().disabled).toBe(false);
    expect(button('Cancel')).toBeUndefined();
    expect(rejections).toEqual([]);
  }, 120_000);

  it('removing the panel while it trains cancels the run; nothing is sent afterwards', async () => {
    const { el, events } = mount({ gpu, steps: 30 });
    await el.updateComplete;
    el.start();
    await until(() => events.length > 0);
    el.parentElement!.remove();
    await el.done;
    const sent = events.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(events.length).toBe(sent);
    expect(events.some((e) => e.done)).toBe(false);
    expect(rejections).toEqual([]);
  }, 120_000);

  it('a new seed while running stops the run with a message', async () => {
    const { el, events, train, status } = mount({ gpu, steps: 30, seed: 1 });
    await el.updateComplete;
    train().click();
    await until(() => events.length > 0);
    el.seed = 2;
    await el.done;
    await el.updateComplete;
    expect(status()).toMatch(
      /^Training stopped at step \d+ of 30: the seed changed\. The model from step \d+/,
    );
    expect(events.some((e) => e.done)).toBe(false);
    expect(train().disabled).toBe(false);
  }, 120_000);

  it('a lost device stops the run and keeps the last evaluated model; Train then continues from it', async () => {
    const doomed = await testGpu();
    const { el, events, train, button, status } = mount({ gpu: doomed, steps: 30, seed: 5 });
    await el.updateComplete;
    train().click();
    await until(() => events.length > 0);
    doomed.device.destroy(); // as a driver reset would: the device's `lost` resolves
    await el.done;
    await el.updateComplete;
    const kept = events.at(-1)!;
    const m = status().match(
      /^The GPU was lost at step (\d+); the model from step (\d+) is kept\. Train again to continue\.$/,
    );
    expect(m, status()).not.toBeNull();
    expect(Number(m![2])).toBe(kept.step);
    expect(Number(m![1])).toBeGreaterThanOrEqual(kept.step);
    expect(events.some((e) => e.done)).toBe(false);
    // Never stuck: the button is back.
    expect(button('Cancel')).toBeUndefined();
    expect(train().disabled).toBe(false);
    // A new device: Train continues from the kept model's step, with its parameters.
    el.gpu = gpu;
    await el.updateComplete;
    const before = events.length;
    train().click();
    await el.updateComplete;
    expect(status()).toBe(`Continuing from the model of step ${kept.step} (Adam's moments start again)…`);
    await until(() => events.length > before);
    const next = events[before]!;
    expect(next.step).toBeGreaterThan(kept.step);
    expect(next.totalSteps).toBe(30);
    button('Cancel')!.click();
    await el.done;
    expect(rejections).toEqual([]);
  }, 120_000);

  it('a `gpu` replaced while running (the app moved to a new device) stops the run as a loss', async () => {
    const other = await testGpu();
    const { el, events, train, status } = mount({ gpu, steps: 30 });
    await el.updateComplete;
    train().click();
    await until(() => events.length > 0);
    el.gpu = other;
    await el.done;
    await el.updateComplete;
    expect(status()).toMatch(/^The GPU was lost at step \d+; the model from step \d+ is kept\. Train again/);
    expect(train().disabled).toBe(false);
    other.destroy();
    expect(rejections).toEqual([]);
  }, 120_000);
});
