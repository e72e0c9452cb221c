/** The DDPM training and sampling algorithms (Ho et al. 2020, Algorithms 1 and 2) and the DDIM / ODE
 *  variants, as lines of pseudocode, plus which line the chain is on. The formulas are notation and stay as
 *  they are; the words around them go through msg() (functions: msg() answers in the language of the moment). */
import { msg, str } from '@lit/localize';
import type { DiffusionSamplerChoice } from '../../state/diffusion';

/** The DDPM loss the training step descends. */
const LOSS = '∇θ ‖ε − ε_θ(√ᾱ_t x₀ + √(1 − ᾱ_t) ε, t)‖²';

export function trainingLines(): string[] {
  return [
    msg('repeat'),
    `  x₀ ~ q(x₀)                      ${msg('(a training point)')}`,
    '  t ~ Uniform({1, …, T})',
    '  ε ~ N(0, I)',
    `  ${msg(str`take a gradient step on ${LOSS}`)}`,
    msg('until converged'),
  ];
}

/**
 * The sampling algorithm's lines. `forwardT`: the chain started from the data noised to this t (the
 * forward-process scrub) rather than from pure noise, and the first line says so.
 */
export function samplingLines(sampler: DiffusionSamplerChoice, forwardT: number | null = null): string[] {
  const lines = samplingLinesFrom(sampler, forwardT === null ? 'T' : String(forwardT));
  if (forwardT !== null) {
    lines[0] =
      `x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε,  t = ${forwardT}      ` + msg('(forward process from the data)');
  }
  return lines;
}

/** The lines of a chain from t = `from` (T, or the forward scrub's t for DDPM). */
function samplingLinesFrom(sampler: DiffusionSamplerChoice, from: string): string[] {
  const strided = msg('for t = τ_S, …, τ_1 (strided) do      (t′ = the next τ, or 0)');
  if (sampler.startsWith('ddpm')) {
    const sigma = sampler === 'ddpm-beta' ? 'σ_t² = β_t' : 'σ_t² = β̃_t = β_t(1 − ᾱ_{t−1})/(1 − ᾱ_t)';
    return [
      'x_T ~ N(0, I)',
      msg(str`for t = ${from}, …, 1 do`),
      // The condition is a placeholder: lit-localize would write a '>' of the message as &gt; (string messages).
      `  ${msg(str`z ~ N(0, I) if ${'t > 1'}, else z = 0`)}`,
      `  x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) · ε_θ(x_t, t)) / √α_t + σ_t z     (${sigma})`,
      msg('end for'),
      msg('return x₀'),
    ];
  }
  if (sampler === 'ddim') {
    return [
      'x_T ~ N(0, I)',
      strided,
      '  ε̂ = ε_θ(x_t, t);  x̂₀ = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t',
      '  x_{t′} = √ᾱ_{t′} x̂₀ + √(1 − ᾱ_{t′} − σ²) ε̂ + σ z,  σ = η √((1 − ᾱ_{t′})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t′})',
      msg('end for'),
      msg('return x₀'),
    ];
  }
  const denoiser = msg('denoiser');
  return [
    'x_T ~ N(0, I)',
    strided,
    `  x̂₀, ε̂ = ${denoiser}(x_t, t)`,
    sampler === 'ode-euler'
      ? `  x_{t′} = √ᾱ_{t′} x̂₀ + √(1 − ᾱ_{t′}) ε̂           ${msg('(Euler = DDIM with η = 0: no noise)')}`
      : `  x′ = √ᾱ_{t′} x̂₀ + √(1 − ᾱ_{t′}) ε̂;  x̂₀′ = ${denoiser}(x′, t′);  x_{t′} = x′ + c₂ (x̂₀′ − x̂₀)   (Heun)`,
    msg('end for'),
    msg('return x₀'),
  ];
}

/** Index of the highlighted sampling line: the start, the update just executed, or the return. */
export function currentSamplingLine(stepIndex: number, t: number): number {
  if (t === 0) return 5;
  if (stepIndex === 0) return 0;
  return 3;
}
