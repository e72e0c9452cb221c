/** The DDPM training and sampling algorithms (Ho et al. 2020, Algorithms 1 and 2) and the DDIM / ODE
 *  variants, as lines of pseudocode, plus which line the chain is on. */
import type { DiffusionSamplerChoice } from '../../state/diffusion';

export const TRAINING_LINES = [
  'repeat',
  '  x₀ ~ q(x₀)                      (a training point)',
  '  t ~ Uniform({1, …, T})',
  '  ε ~ N(0, I)',
  '  take a gradient step on ∇θ ‖ε − ε_θ(√ᾱ_t x₀ + √(1 − ᾱ_t) ε, t)‖²',
  'until converged',
];

/**
 * The sampling algorithm's lines. `forwardT`: the chain started from the data noised to this t (the
 * forward-process scrub) rather than from pure noise, and the first line says so.
 */
export function samplingLines(sampler: DiffusionSamplerChoice, forwardT: number | null = null): string[] {
  const lines = samplingLinesFromNoise(sampler);
  if (forwardT !== null) {
    lines[0] = `x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε,  t = ${forwardT}      (forward process from the data)`;
    lines[1] = lines[1]!.replace('t = T,', `t = ${forwardT},`);
  }
  return lines;
}

function samplingLinesFromNoise(sampler: DiffusionSamplerChoice): string[] {
  if (sampler.startsWith('ddpm')) {
    const sigma = sampler === 'ddpm-beta' ? 'σ_t² = β_t' : 'σ_t² = β̃_t = β_t(1 − ᾱ_{t−1})/(1 − ᾱ_t)';
    return [
      'x_T ~ N(0, I)',
      'for t = T, …, 1 do',
      '  z ~ N(0, I) if t > 1, else z = 0',
      `  x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) · ε_θ(x_t, t)) / √α_t + σ_t z     (${sigma})`,
      'end for',
      'return x₀',
    ];
  }
  if (sampler === 'ddim') {
    return [
      'x_T ~ N(0, I)',
      'for t = τ_S, …, τ_1 (strided) do      (t′ = the next τ, or 0)',
      '  ε̂ = ε_θ(x_t, t);  x̂₀ = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t',
      '  x_{t′} = √ᾱ_{t′} x̂₀ + √(1 − ᾱ_{t′} − σ²) ε̂ + σ z,  σ = η √((1 − ᾱ_{t′})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t′})',
      'end for',
      'return x₀',
    ];
  }
  return [
    'x_T ~ N(0, I)',
    'for t = τ_S, …, τ_1 (strided) do      (t′ = the next τ, or 0)',
    '  x̂₀, ε̂ = denoiser(x_t, t)',
    sampler === 'ode-euler'
      ? '  x_{t′} = √ᾱ_{t′} x̂₀ + √(1 − ᾱ_{t′}) ε̂           (Euler = DDIM with η = 0: no noise)'
      : '  x′ = √ᾱ_{t′} x̂₀ + √(1 − ᾱ_{t′}) ε̂;  x̂₀′ = denoiser(x′, t′);  x_{t′} = x′ + c₂ (x̂₀′ − x̂₀)   (Heun)',
    'end for',
    'return x₀',
  ];
}

/** Index of the highlighted sampling line: the start, the update just executed, or the return. */
export function currentSamplingLine(stepIndex: number, t: number): number {
  if (t === 0) return 5;
  if (stepIndex === 0) return 0;
  return 3;
}
