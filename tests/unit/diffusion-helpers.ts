/** Shared helpers of the diffusion reference tests: 2D moments, whole CPU chains, nearest distances. */
import { previousTimestep, stridedTimesteps, type Schedule } from '../../src/models/schedules';
import { forwardReference, stepReference, type CpuDenoiser } from '../../src/kernels/diffusion/ref';
import type { SamplerSpec } from '../../src/kernels/diffusion/spec';

export const PURE_NOISE = { sqrtAlphaBar: 0, sqrtOneMinusAlphaBar: 1 };

export function meanCov2(x: ArrayLike<number>, n: number) {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[2 * i]!;
    my += x[2 * i + 1]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[2 * i]! - mx;
    const b = x[2 * i + 1]! - my;
    sxx += a * a;
    sxy += a * b;
    syy += b * b;
  }
  return { mx, my, sxx: sxx / n, sxy: sxy / n, syy: syy / n };
}

/** Runs a whole chain on the CPU from pure noise (seeded) through `steps` strided steps. */
export function sampleChain(
  schedule: Schedule,
  sampler: SamplerSpec,
  denoiser: CpuDenoiser,
  n: number,
  dim: number,
  steps: number,
  seed: number,
  stopAt = 0,
  xT?: Float64Array,
): Float64Array {
  const seq = stridedTimesteps(schedule.T, steps);
  let x = xT ?? forwardReference(new Float32Array(dim), 1, n, dim, PURE_NOISE, seed).xt;
  for (let t = seq[0]!; t > stopAt; t = previousTimestep(seq, t)) {
    x = stepReference(schedule, sampler, denoiser, x, n, dim, t, previousTimestep(seq, t), seed);
  }
  return x;
}

export function nearestDistances(x: ArrayLike<number>, n: number, data: ArrayLike<number>): Float64Array {
  const m = data.length / 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let j = 0; j < m; j++)
      best = Math.min(best, Math.hypot(x[2 * i]! - data[2 * j]!, x[2 * i + 1]! - data[2 * j + 1]!));
    out[i] = best;
  }
  return out.sort();
}
