/**
 * Diffusion family: one DiffusionEngine.step() reading back the 128×128 density grid the lab draws, for
 * each denoiser (exact on 1000 two-moons points, Gaussian N(μ, Σ), the shipped two-moons ε-MLP) and each
 * sampler family (DDPM σ² = β̃, DDIM η = 0, probability-flow ODE with Heun: two denoiser evaluations per
 * step), against the CPU twin (DiffusionCpuEngine, float64). First, issue #15's P3 shape: one DDIM step through
 * an ε-MLP of width 128 (the shipped architecture widened, untrained weights) with each MLP kernel family —
 * the adapter's ("gpu") and the other one ("gpu-particle" or "gpu-batched") — so they compare in one run.
 */
import {
  DiffusionCpuEngine,
  DiffusionEngine,
  MAX_PARTICLES_CPU,
  type DiffusionRunner,
  type DiffusionSetup,
  type ReadRequest,
} from '../../src/engine/diffusion';
import { makeDataset2D } from '../../src/models/datasets2d';
import { initMlp, parseMlp, type MlpModel } from '../../src/models/mlp-denoiser';
import { makeSchedule } from '../../src/models/schedules';
import twoMoonsMlpUrl from '../../public/models/diffusion/two-moons.ksmlp?inline';
import type { Predictor } from '../plan';
import type { Suite } from '../suite';
import type { CaseResult } from '../types';

interface Denoiser {
  name: string;
  data: Float32Array;
  choice: DiffusionSetup['denoiser'];
}

const SAMPLERS: Array<{ name: string; spec: DiffusionSetup['sampler'] }> = [
  { name: 'ddim', spec: { kind: 'ddim', eta: 0 } },
  { name: 'ddpm', spec: { kind: 'ddpm', variance: 'beta-tilde' } },
  { name: 'ode-heun', spec: { kind: 'ode', method: 'heun' } },
];

const READ: ReadRequest = { density: { size: 128, xMin: -3, xMax: 3, yMin: -3, yMax: 3 } };

function denoisers(): Denoiser[] {
  const moons = makeDataset2D({ kind: 'two-moons', n: 1000, seed: 1 });
  const gaussianSpec = {
    mean: [0.5, -0.25] as [number, number],
    cov: [
      [1, 0.3],
      [0.3, 0.5],
    ] as [[number, number], [number, number]],
  };
  const gaussianData = makeDataset2D({ kind: 'gaussian', n: 1000, seed: 1, gaussian: gaussianSpec });
  const law = { mean: gaussianSpec.mean, cov: gaussianSpec.cov.flat() };
  return [
    // The target (DDIM, MLP, 10⁶ particles) first, so a time-budgeted run measures it.
    { name: 'mlp', data: moons, choice: { kind: 'mlp', model: loadBundledMlp() } },
    { name: 'exact', data: moons, choice: { kind: 'exact' } },
    { name: 'gaussian', data: gaussianData, choice: { kind: 'gaussian', law } },
  ];
}

/** Width-128 ε-MLP, one DDIM step, with the engine's MLP family and the other one. */
async function mlpFamilyCases(s: Suite, pred: Predictor, engine: DiffusionEngine): Promise<void> {
  const config = { dim: 2, hidden: 128, blocks: 3, freqs: 8, inputScale: 25 };
  const model = initMlp(config, 1);
  const other = new DiffusionEngine(s.wrapped, {
    mlpFamily: engine.mlpFamily === 'batched' ? 'particle' : 'batched',
  });
  const data = makeDataset2D({ kind: 'two-moons', n: 1000, seed: 1 });
  const schedule = makeSchedule({ kind: 'cosine', T: 1000 });
  for (const count of s.p.diffusionN) {
    const setup: DiffusionSetup = {
      schedule,
      data,
      dim: 2,
      count,
      seed: 7,
      sampler: { kind: 'ddim', eta: 0 },
      steps: 1000,
      denoiser: { kind: 'mlp', model },
    };
    for (const [variant, by] of [
      ['gpu', engine],
      [`gpu-${other.mlpFamily}`, other],
    ] as const) {
      const params = {
        particles: count,
        denoiser: 'mlp-128',
        sampler: 'ddim',
        grid: 128,
        family: by.mlpFamily,
      };
      const on = { variant, engine: by, poolCount: () => by.buffersCreated };
      await stepCase(s, pred, on, setup, params, `${variant}/mlp-128/ddim`);
    }
  }
  other.destroy();
}

export async function diffusionCases(s: Suite): Promise<void> {
  const pred = s.predictor(1);
  const dens = denoisers();
  const schedule = makeSchedule({ kind: 'cosine', T: 1000 });
  const gpuEngine = s.setupTime('DiffusionEngine', () => new DiffusionEngine(s.wrapped));
  await mlpFamilyCases(s, pred, gpuEngine);
  const cpuEngine = new DiffusionCpuEngine();
  for (const den of dens) {
    for (const sampler of SAMPLERS) {
      for (const count of s.p.diffusionN) {
        const setup: DiffusionSetup = {
          schedule,
          data: den.data,
          dim: 2,
          count,
          seed: 7,
          sampler: sampler.spec,
          steps: 1000,
          denoiser: den.choice,
        };
        const params = {
          particles: count,
          denoiser: den.name,
          sampler: sampler.name,
          data: den.name === 'exact' ? 1000 : 0,
          grid: 128,
        };
        const key = (variant: string) => `${variant}/${den.name}/${sampler.name}`;
        const poolCount = () => gpuEngine.buffersCreated;
        await stepCase(s, pred, { variant: 'gpu', engine: gpuEngine, poolCount }, setup, params, key('gpu'));
        await stepCase(s, pred, { variant: 'cpu', engine: cpuEngine }, setup, params, key('cpu'));
      }
    }
  }
  gpuEngine.destroy();
  cpuEngine.destroy();
  s.note(
    'Diffusion: cosine schedule T = 1000, 1000 sampler steps, seed 7; exact = 1000 two-moons points; ' +
      'gaussian = N((0.5, −0.25), [[1, 0.3], [0.3, 0.5]]); mlp = public/models/diffusion/two-moons.ksmlp. ' +
      "mlp-128 = an untrained width-128 MLP (2-D, 3 blocks, 8 frequencies), DDIM only, with the adapter's MLP " +
      'kernel family ("gpu") and the other ("gpu-<family>"). Each step reads back the 128×128 density grid. Steps use the default step-back history (256 MiB); ' +
      'the labels of every buffer created during a measured step are listed under the case.',
  );
}

/** One sampler step with one engine (restarting from noise when the chain reaches t = 0). */
async function stepCase(
  s: Suite,
  pred: Predictor,
  on: { variant: string; engine: DiffusionRunner; poolCount?: () => number },
  setup: DiffusionSetup,
  params: CaseResult['params'],
  key: string,
): Promise<void> {
  const { variant, engine } = on;
  const count = setup.count;
  const gpu = variant !== 'cpu';
  const c: CaseResult = {
    family: 'diffusion',
    variant,
    params,
    size: count,
    backend: gpu ? s.name : 'CPU (JavaScript float64 reference)',
    stepsPerCall: 1,
  };
  const slow =
    !gpu && count > MAX_PARTICLES_CPU
      ? `skipped: above the CPU path's limit (${MAX_PARTICLES_CPU.toLocaleString('en-US')})`
      : pred.tooSlow(key, count, gpu ? s.p.maxGpuRunMs : s.p.maxCpuRunMs);
  if (slow) c.skipped = slow;
  else {
    await engine.setup(setup);
    await s.measure(
      c,
      async () => {
        if (engine.done) await engine.restart({ from: 'noise' });
        return engine.step(READ);
      },
      {
        gpu,
        poolCount: on.poolCount,
        maxReps: gpu ? undefined : 5,
        warmup: gpu ? undefined : 1,
      },
    );
  }
  pred.record(key, count, c.wallMs?.median);
  s.push(c);
}

/** The shipped two-moons ε-MLP, inlined into the bundle by Vite (a base64 data URL). */
function loadBundledMlp(): MlpModel {
  const comma = twoMoonsMlpUrl.indexOf(',');
  if (!twoMoonsMlpUrl.startsWith('data:') || !twoMoonsMlpUrl.slice(0, comma).endsWith(';base64'))
    throw new Error('bench: the two-moons MLP was not inlined as a base64 data URL (needs Vite ?inline).');
  const bytes = Uint8Array.from(atob(twoMoonsMlpUrl.slice(comma + 1)), (ch) => ch.charCodeAt(0));
  return parseMlp(bytes.buffer);
}
