/**
 * The harness's pure parts (issue 15, item 5): adapter naming and the result-file slug, the timestamp guard
 * and quantum detection, warm-up by time, navigator.gpu for TensorFlow.js in Node, and the instrument's
 * cached bound methods. No GPU: sample adapter infos and tick arrays.
 */
import { describe, expect, it } from 'vitest';
import { Instrument } from '../../bench/instrument';
import { provideNavigatorGpu } from '../../bench/navigator-gpu';
import { MAX_WARMUP_CALLS, warmupDone } from '../../bench/plan';
import { adapterSlug } from '../../bench/suite';
import { MAX_PASS_NS, QuantumDetector, describeQuantisation, guardPairs } from '../../bench/timestamps';
import { adapterName, type AdapterSummary } from '../../src/gpu/device';

const info = (o: Partial<AdapterSummary>): AdapterSummary => ({
  vendor: '',
  architecture: '',
  device: '',
  description: '',
  isFallback: false,
  features: [],
  limits: {},
  ...o,
});

describe('adapterName (src/gpu/device.ts) and the result slug', () => {
  it('names the device, so that an H100 and an H200 differ (Dawn and Chromium field styles)', () => {
    const dawnH100 = info({
      vendor: 'nvidia',
      architecture: 'hopper',
      device: 'nvidia-h100-80gb-hbm3',
      description: 'NVIDIA: 570.86.15 570.86.15.0',
    });
    const dawnH200 = info({
      vendor: 'nvidia',
      architecture: 'hopper',
      device: 'nvidia-h200',
      description: 'NVIDIA: 570.86.15 570.86.15.0',
    });
    expect(adapterName(dawnH100)).toBe('nvidia hopper — nvidia-h100-80gb-hbm3');
    expect(adapterName(dawnH200)).toBe('nvidia hopper — nvidia-h200');
    // Chromium with developer features: the product name in the description, a PCI id or nothing in device.
    const chromeH200 = info({
      vendor: 'nvidia',
      architecture: 'hopper',
      device: '0x2335',
      description: 'NVIDIA H200',
    });
    const chromeH100 = info({
      vendor: 'nvidia',
      architecture: 'hopper',
      description: 'NVIDIA H100 80GB HBM3',
    });
    expect(adapterName(chromeH200)).toBe('nvidia hopper — NVIDIA H200');
    expect(adapterName(chromeH100)).toBe('nvidia hopper — NVIDIA H100 80GB HBM3');
    // One chip gives one slug in both runners; the two chips never share one.
    const slug = (i: AdapterSummary) => adapterSlug(adapterName(i));
    expect(slug(chromeH200)).toBe(slug(dawnH200));
    expect(slug(chromeH100)).toBe(slug(dawnH100));
    expect(slug(dawnH100)).not.toBe(slug(dawnH200));
    expect(adapterSlug(adapterName(dawnH200))).toBe('nvidia-hopper-nvidia-h200');
  });

  it('falls back to a PCI device id when that is all the adapter says; a driver version is not a name', () => {
    expect(adapterName(info({ vendor: 'nvidia', architecture: 'ampere', device: 'a100' }))).toBe(
      'nvidia ampere — a100', // hex letters, but not a PCI id
    );
    expect(adapterName(info({ vendor: 'nvidia', architecture: 'hopper', device: '0x2330' }))).toBe(
      'nvidia hopper — device 0x2330',
    );
    expect(
      adapterName(info({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA: 570.86.15' })),
    ).toBe('nvidia hopper');
  });

  it('keeps SwiftShader as it was in both runners (its device only restates the architecture)', () => {
    const node = info({
      vendor: 'google',
      architecture: 'swiftshader',
      device: 'swiftshader-device-subzero-',
      description: 'SwiftShader driver 5.0.0',
      isFallback: true,
    });
    const browser = info({ vendor: 'google', architecture: 'swiftshader', isFallback: true });
    // Chromium with --enable-webgpu-developer-features (the bench runner) unmasks a PCI id and a name.
    const unmasked = info({
      vendor: 'google',
      architecture: 'swiftshader',
      device: '0xc0de',
      description: 'SwiftShader Device (Subzero)',
      isFallback: true,
    });
    expect(adapterName(unmasked)).toBe('google swiftshader (software adapter)');
    expect(adapterName(node)).toBe('google swiftshader (software adapter)');
    expect(adapterName(browser)).toBe('google swiftshader (software adapter)');
    expect(adapterSlug(adapterName(node))).toBe('google-swiftshader-software-adapter');
  });

  it('empty fields: whatever is there, else "WebGPU adapter"', () => {
    expect(adapterName(info({}))).toBe('WebGPU adapter');
    expect(adapterName(info({ isFallback: true }))).toBe('WebGPU adapter (software adapter)');
    expect(adapterName(info({ description: 'Apple M2 Max' }))).toBe('Apple M2 Max');
    expect(adapterName(info({ vendor: 'apple', architecture: 'metal-3', device: '  Apple  M2 Max ' }))).toBe(
      'apple metal-3 — Apple M2 Max',
    );
    expect(adapterSlug('  A — b (c) ')).toBe('a-b-c');
  });
});

describe('timestamp guard and quantum detection (bench/timestamps.ts)', () => {
  const t = (xs: number[]) => xs.map(BigInt);

  it('rejects zero, reversed and absurd pairs and counts them; accepts a zero-length pass', () => {
    const base = 30_527_781_404_672;
    const ticks = t([
      base,
      base + 12_489,
      base + 500,
      base + 500,
      base + 900,
      base + 100,
      0,
      base + 50,
      base,
      base + MAX_PASS_NS + 1,
    ]);
    const g = guardPairs(ticks, [
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    expect(g.durationsNs).toEqual([12_489, 0]);
    expect(g.rejected).toBe(3); // reversed, unwritten begin (0), over 60 s
    expect(g.gpuMs).toBeCloseTo(0.012489, 12);
  });

  it('a call whose every pair was rejected has no GPU time (null), not 0; a call without pairs has 0', () => {
    const g = guardPairs(t([10, 5, 0, 7]), [
      [0, 1],
      [2, 3],
    ]);
    expect(g.rejected).toBe(2);
    expect(g.gpuMs).toBeNull();
    expect(guardPairs(t([]), []).gpuMs).toBe(0);
  });

  it('detects Dawn’s 65.5 µs quantum and its absence', () => {
    const q = new QuantumDetector();
    // Measured on SwiftShader with Dawn's default toggles (bench:node before this change).
    q.add([
      30_670_848, 65_536, 3_932_160, 0, 0, 65_536, 0, 1_441_792, 65_536, 0, 65_536, 65_536, 65_536, 65_536,
    ]);
    const s = q.summary();
    expect(s).toMatchObject({
      samples: 14,
      zeros: 4,
      minNonZeroNs: 65_536,
      quantumNs: 65_536,
      quantised: true,
    });
    expect(describeQuantisation(s)).toMatch(/^QUANTISED to 65\.5 µs/);

    const u = new QuantumDetector();
    // The same passes with disable-dawn-features=timestamp_quantization.
    u.add([484_573, 583_300, 16_785, 12_489, 3_381_000, 16_885, 12_389, 11_667, 13_139, 12_078]);
    expect(u.summary()).toMatchObject({ zeros: 0, minNonZeroNs: 11_667, quantised: false });
    expect(u.summary().quantumNs).toBeLessThan(1000);
    expect(describeQuantisation(u.summary())).toMatch(/^not quantised/);
  });

  it('says "undetermined" with fewer than 8 non-zero durations; Chromium’s 100 µs quantum is found too', () => {
    const few = new QuantumDetector();
    few.add([100_000, 200_000, 0, 0]);
    expect(few.summary().quantised).toBeNull();
    expect(describeQuantisation(few.summary())).toMatch(/^undetermined/);
    const chrome = new QuantumDetector();
    chrome.add([100_000, 300_000, 200_000, 100_000, 1_200_000, 100_000, 400_000, 100_000]);
    expect(chrome.summary()).toMatchObject({ quantumNs: 100_000, quantised: true });
  });
});

describe('warm-up by time (bench/plan.ts warmupDone)', () => {
  it('runs until the time has passed, at least one call (or the minimum asked for)', () => {
    expect(warmupDone(0, 10_000, 500)).toBe(false);
    expect(warmupDone(1, 499.9, 500)).toBe(false);
    expect(warmupDone(1, 500, 500)).toBe(true); // one slow call is enough
    expect(warmupDone(7, 620, 500)).toBe(true);
    expect(warmupDone(2, 900, 500, 3)).toBe(false);
    expect(warmupDone(3, 900, 500, 3)).toBe(true);
    expect(warmupDone(MAX_WARMUP_CALLS, 1, 500)).toBe(true); // microsecond calls stop at the cap
  });
});

describe('navigator.gpu for TensorFlow.js in Node (bench/navigator-gpu.ts)', () => {
  const gpu = { requestAdapter: async () => null } as unknown as GPU;

  it('creates a navigator where there is none (Node 20)', () => {
    const g: Record<string, unknown> = {};
    provideNavigatorGpu(gpu, g);
    expect((g.navigator as { gpu: unknown }).gpu).toBe(gpu);
  });

  it('adds gpu to a read-only navigator (Node ≥ 21: a getter on globalThis, no setter)', () => {
    const nav = { userAgent: 'Node.js/22' };
    const g = {};
    Object.defineProperty(g, 'navigator', { get: () => nav, configurable: true });
    expect(() => {
      (g as { navigator: unknown }).navigator = {};
    }).toThrow(TypeError); // strict mode: the getter-only property cannot be assigned
    provideNavigatorGpu(gpu, g);
    expect((g as { navigator: { gpu: unknown; userAgent: string } }).navigator).toBe(nav);
    expect((nav as { gpu?: unknown }).gpu).toBe(gpu);
  });
});

describe('the instrument caches bound methods (bench/instrument.ts)', () => {
  it('hands out the same bound function on every access, still bound to the real object', () => {
    let boundToReal = false;
    const real: Record<string, unknown> = {
      features: new Set<string>(),
      queue: { submit: () => undefined, onSubmittedWorkDone: async () => undefined },
      label: 'real',
      createShaderModule(this: unknown) {
        boundToReal = this === real;
        return {};
      },
    };
    const inst = new Instrument(real as unknown as GPUDevice);
    const d = inst.device;
    expect(d.createShaderModule).toBe(d.createShaderModule);
    expect(d.queue).toBe(d.queue);
    expect(d.queue.onSubmittedWorkDone).toBe(d.queue.onSubmittedWorkDone);
    d.createShaderModule({ code: '' });
    expect(boundToReal).toBe(true);
    expect(d.label).toBe('real');
  });
});
