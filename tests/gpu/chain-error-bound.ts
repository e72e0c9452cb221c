/**
 * First-order f32 error bound of a sampler chain run on the GPU against the float64 CPU engine (DESIGN.md
 * "Numerics": error growth per step × steps). Per particle, e_{j+1} = ‖J_j‖₂·e_j + ‖τ_j‖₂: J_j is the D×D
 * Jacobian of the float64 step map x ↦ combine(x, x̂₀(x), ε̂(x), z) at the reference state (central
 * differences, h = 1e-5; every denoiser here acts on each particle alone), τ_j the one-step f32 bound at that
 * state (the denoiser's and the update's roundings), e₀ the start's bound. Steps without Heun's corrector.
 */
import { combineReference, type CpuDenoiser } from '../../src/kernels/diffusion/ref';
import {
  noiseLevel,
  planStep,
  type NoiseLevel,
  type NoiseTable,
  type SamplerSpec,
  type StepCoefficients,
} from '../../src/kernels/diffusion/spec';

export interface ChainBoundArgs {
  schedule: NoiseTable;
  sampler: SamplerSpec;
  denoiser: CpuDenoiser;
  /** The chain's timesteps (engine.path) and how many steps to take from path[0]. */
  path: readonly number[];
  steps: number;
  /** The float64 start state, n·dim. */
  start: Float64Array;
  n: number;
  dim: number;
  seed: number;
  /** Per-particle (Euclidean) bound on the GPU's start state. */
  e0: Float64Array;
  /** Per-component one-step f32 bound of a step with coefficients c from state x at `level`. */
  stepTolerance: (x: Float64Array, level: NoiseLevel, c: StepCoefficients, noiseStep: number) => Float64Array;
}

export function chainErrorBound(a: ChainBoundArgs): {
  x: Float64Array;
  bound: Float64Array;
  growth: number[];
} {
  const { n, dim } = a;
  let x: Float64Array = a.start.slice();
  const e = a.e0.slice();
  const growth: number[] = [];
  const h = 1e-5;
  for (let j = 0; j < a.steps; j++) {
    const plan = planStep(a.schedule, a.sampler, a.path[j]!, a.path[j + 1]!);
    if (plan.heunC2 !== null) throw new Error('chainErrorBound covers steps without Heun’s corrector.');
    const level = noiseLevel(a.schedule, a.path[j]!);
    const step = (y: Float64Array) => {
      const o = a.denoiser.predict(y, n, dim, level);
      return combineReference(plan.first, y, o.x0, o.eps, null, n, dim, a.seed, plan.noiseStep);
    };
    const jac = new Float64Array(n * dim * dim); // particle q: J[row d2][column d] at q·D² + d2·D + d
    for (let d = 0; d < dim; d++) {
      const up = x.slice();
      const dn = x.slice();
      for (let q = 0; q < n; q++) {
        up[q * dim + d] = up[q * dim + d]! + h;
        dn[q * dim + d] = dn[q * dim + d]! - h;
      }
      const fu = step(up);
      const fd = step(dn);
      for (let q = 0; q < n; q++)
        for (let d2 = 0; d2 < dim; d2++)
          jac[q * dim * dim + d2 * dim + d] = (fu[q * dim + d2]! - fd[q * dim + d2]!) / (2 * h);
    }
    const tau = a.stepTolerance(x, level, plan.first, plan.noiseStep);
    let worst = 0;
    for (let q = 0; q < n; q++) {
      let t2 = 0;
      for (let d = 0; d < dim; d++) t2 += tau[q * dim + d]! ** 2;
      const J = spectralNorm(jac.subarray(q * dim * dim, (q + 1) * dim * dim), dim);
      worst = Math.max(worst, J);
      e[q] = J * e[q]! + Math.sqrt(t2);
    }
    growth.push(worst);
    x = step(x);
  }
  return { x, bound: e, growth };
}

/** ‖J‖₂ of a D×D row-major matrix: exact for D = 2 (JᵀJ's larger eigenvalue), the Frobenius norm above. */
function spectralNorm(J: Float64Array, dim: number): number {
  let frob = 0;
  for (const x of J) frob += x * x;
  if (dim !== 2) return Math.sqrt(frob);
  const det = J[0]! * J[3]! - J[1]! * J[2]!;
  // Eigenvalues of JᵀJ: (F ± √(F² − 4 det²))/2 with F = ‖J‖_F².
  return Math.sqrt((frob + Math.sqrt(Math.max(0, frob * frob - 4 * det * det))) / 2);
}
