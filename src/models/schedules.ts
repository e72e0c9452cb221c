/**
 * Noise schedules of the Diffusion lab (float64, formulas in DESIGN.md "Diffusion"). Every per-timestep array
 * has length T + 1 and is indexed by the timestep: index 0 is the clean data (β₀ = 0, ᾱ₀ = 1, logSNR₀ = +∞),
 * so `alphaBar[t - 1]` needs no special case at t = 1; exports use 1…T (`scheduleToJson`).
 * ᾱ_t = exp(Σ log1p(−β_s)) and 1 − ᾱ_t = −expm1(…) (full relative precision at small t). Cosine clips only
 * β_T (ᾱ_T = 0.001·ᾱ_{T−1}); scaled-linear and linear multiply β by 1000/T (`scaleBetaToT`), sigmoid does
 * not. `zeroTerminalSnr` (Lin et al. 2024) shifts √ᾱ so √ᾱ_T = 0 and β_T = 1 exactly (no clip afterwards);
 * the samplers then take x̂₀ from the denoiser (src/kernels/diffusion/spec.ts `planStep`).
 */
import { msg, str } from '@lit/localize';
import { noiseLevel, type NoiseLevel, type NoiseTable } from '../kernels/diffusion/spec';

export { noiseLevel, type NoiseLevel };

export const SCHEDULE_KINDS = ['linear', 'scaled-linear', 'cosine', 'sigmoid'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

export const T_MIN = 10;
export const T_MAX = 1000;
/** Cosine schedule offset s (Nichol & Dhariwal 2021). */
const COSINE_S = 0.008;
/** β clip of DESIGN.md (linear, scaled-linear, cosine; not re-applied after the zero-terminal-SNR rescale). */
const BETA_MAX = 0.999;
/** The warning fires when ᾱ_T exceeds this (x_T then differs visibly from N(0, I)). */
export const ALPHA_BAR_T_WARN = 0.01;

export interface ScheduleOptions {
  kind: ScheduleKind;
  /** Number of diffusion steps, an integer from 10 to 1000. */
  T: number;
  /** Rescale to zero terminal SNR (Lin et al. 2024). Default false. */
  zeroTerminalSnr?: boolean;
  /** Multiply β by 1000/T (see the module comment for defaults). */
  scaleBetaToT?: boolean;
}

/**
 * A schedule: NoiseTable's arrays (length T + 1, index = timestep t; α_t = 1 − β_t, ᾱ_t = ∏_{s≤t} α_s with
 * ᾱ₀ = 1, 1 − ᾱ_t computed without cancellation), the options it was made with, and what the UI shows.
 */
export interface Schedule extends NoiseTable {
  readonly kind: ScheduleKind;
  readonly zeroTerminalSnr: boolean;
  readonly scaleBetaToT: boolean;
  /** log(ᾱ_t / (1 − ᾱ_t)); +Infinity at t = 0, −Infinity at t = T with zero terminal SNR. */
  readonly logSNR: Float64Array;
  /** A sentence for the UI when ᾱ_T > ALPHA_BAR_T_WARN, else null (in the interface language when read). */
  readonly warning: string | null;
  /** Short name, e.g. "cosine, T = 1000" or "linear, T = 50, zero terminal SNR". */
  readonly label: string;
}

function checkT(T: number): void {
  if (!Number.isInteger(T) || T < T_MIN || T > T_MAX) {
    throw new RangeError(`T must be an integer from ${T_MIN} to ${T_MAX} (got ${T}).`);
  }
}

/** `count` evenly spaced values from a to b inclusive (numpy.linspace). */
export function linspace(a: number, b: number, count: number): Float64Array {
  const out = new Float64Array(count);
  if (count === 1) {
    out[0] = a;
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = a + ((b - a) * i) / (count - 1);
  out[count - 1] = b;
  return out;
}

/** f(t) of the cosine schedule. */
export function cosineF(t: number, T: number, s = COSINE_S): number {
  const c = Math.cos((((t / T + s) / (1 + s)) * Math.PI) / 2);
  return c * c;
}

/** β_1…β_T (0-based array of length T) before any zero-terminal-SNR rescale. */
function rawBetas(kind: ScheduleKind, T: number, scale: boolean): Float64Array {
  const factor = scale ? 1000 / T : 1;
  let betas: Float64Array;
  switch (kind) {
    case 'linear':
      betas = linspace(1e-4 * factor, 0.02 * factor, T);
      break;
    case 'scaled-linear': {
      const r = linspace(Math.sqrt(0.00085), Math.sqrt(0.012), T);
      betas = r.map((v) => v * v * factor);
      break;
    }
    case 'cosine': {
      betas = new Float64Array(T);
      for (let t = 1; t <= T; t++) betas[t - 1] = 1 - cosineF(t, T) / cosineF(t - 1, T);
      break;
    }
    case 'sigmoid': {
      const x = linspace(-6, 6, T);
      betas = x.map((v) => (1 / (1 + Math.exp(-v))) * (0.02 - 1e-4) * factor + 1e-4 * factor);
      break;
    }
  }
  return betas.map((b) => Math.min(b, BETA_MAX));
}

function defaultScaleBetaToT(kind: ScheduleKind): boolean {
  return kind === 'linear' || kind === 'scaled-linear';
}

/** Builds a schedule (see the module comment for every formula and the index convention). */
export function makeSchedule(options: ScheduleOptions): Schedule {
  const { kind, T } = options;
  if (!SCHEDULE_KINDS.includes(kind)) throw new RangeError(`Unknown schedule "${String(kind)}".`);
  checkT(T);
  const zeroTerminalSnr = options.zeroTerminalSnr ?? false;
  const scaleBetaToT = kind === 'cosine' ? false : (options.scaleBetaToT ?? defaultScaleBetaToT(kind));
  const raw = rawBetas(kind, T, scaleBetaToT);

  const beta = new Float64Array(T + 1);
  const alpha = new Float64Array(T + 1);
  const alphaBar = new Float64Array(T + 1);
  const oneMinusAlphaBar = new Float64Array(T + 1);
  alpha[0] = 1;
  alphaBar[0] = 1;
  let logAb = 0;
  for (let t = 1; t <= T; t++) {
    const b = raw[t - 1]!;
    beta[t] = b;
    alpha[t] = 1 - b;
    logAb += Math.log1p(-b);
    alphaBar[t] = Math.exp(logAb);
    oneMinusAlphaBar[t] = -Math.expm1(logAb);
  }

  if (zeroTerminalSnr) {
    const s1 = Math.sqrt(alphaBar[1]!);
    const sT = Math.sqrt(alphaBar[T]!);
    const k = s1 / (s1 - sT);
    for (let t = 1; t <= T; t++) {
      const s = (Math.sqrt(alphaBar[t]!) - sT) * k;
      alphaBar[t] = t === 1 ? alphaBar[1]! : s * s;
      if (t > 1) oneMinusAlphaBar[t] = 1 - alphaBar[t]!;
    }
    alphaBar[T] = 0;
    oneMinusAlphaBar[T] = 1;
    for (let t = 1; t <= T; t++) {
      alpha[t] = alphaBar[t]! / alphaBar[t - 1]!;
      beta[t] = 1 - alpha[t]!;
    }
    beta[1] = raw[0]!;
    alpha[1] = 1 - raw[0]!;
  }

  const sqrtAlphaBar = alphaBar.map(Math.sqrt);
  const sqrtOneMinusAlphaBar = oneMinusAlphaBar.map(Math.sqrt);
  const logSNR = new Float64Array(T + 1);
  for (let t = 0; t <= T; t++) {
    const ab = alphaBar[t]!;
    const om = oneMinusAlphaBar[t]!;
    logSNR[t] = om === 0 ? Infinity : ab === 0 ? -Infinity : Math.log(ab) - Math.log(om);
  }

  const abT = alphaBar[T]!;
  const label = `${kind}, T = ${T}${zeroTerminalSnr ? ', zero terminal SNR' : ''}`;
  const ab = abT.toPrecision(2);
  const sqrtAb = Math.sqrt(abT).toPrecision(2);
  // A getter: msg() words the warning in the language of the moment it is shown.
  const warning = () =>
    abT > ALPHA_BAR_T_WARN
      ? msg(
          str`ᾱ_T = ${ab} (√ᾱ_T = ${sqrtAb}): x_T still holds much of the data, so sampling from pure noise N(0, I) mismatches training. Use more steps, the cosine schedule, or rescale to zero terminal SNR.`,
        )
      : null;

  return {
    kind,
    T,
    zeroTerminalSnr,
    scaleBetaToT,
    beta,
    alpha,
    alphaBar,
    oneMinusAlphaBar,
    sqrtAlphaBar,
    sqrtOneMinusAlphaBar,
    logSNR,
    get warning() {
      return warning();
    },
    label,
  };
}

/** The "Export schedule (JSON)" object of issue 4: β and ᾱ for t = 1…T (index 0 dropped). */
export function scheduleToJson(s: Schedule): {
  schedule: string;
  T: number;
  beta: number[];
  alphaBar: number[];
} {
  return {
    schedule: s.kind,
    T: s.T,
    beta: Array.from(s.beta.subarray(1)),
    alphaBar: Array.from(s.alphaBar.subarray(1)),
  };
}

/**
 * How S sampler steps are chosen among 1…T (names as in diffusers, shifted to 1-based timesteps):
 * - trailing (default; Lin et al. 2024): T, T − T/S, …, rounded; always starts at T, so a chain from pure
 *   noise starts where ᾱ is smallest;
 * - leading (DDIM paper): 1, 1 + r, …, 1 + (S−1)·r with r = floor(T/S); ends below T;
 * - linspace: round(linspace(1, T, S)).
 */
export type TimestepSpacing = 'trailing' | 'leading' | 'linspace';

/**
 * A strided subsequence of S distinct timesteps of 1…T in DESCENDING order (the order the sampler visits
 * them). The step after the last entry goes to t = 0. S = T gives T, T−1, …, 1 for every spacing.
 */
export function stridedTimesteps(T: number, steps: number, spacing: TimestepSpacing = 'trailing'): number[] {
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`T must be a positive integer (got ${T}).`);
  if (!Number.isInteger(steps) || steps < 1 || steps > T) {
    throw new RangeError(`Steps must be an integer from 1 to T = ${T} (got ${steps}).`);
  }
  const set = new Set<number>();
  if (spacing === 'trailing') {
    const r = T / steps;
    for (let k = 0; k < steps; k++) set.add(Math.max(1, Math.round(T - k * r)));
  } else if (spacing === 'leading') {
    const r = Math.floor(T / steps);
    for (let k = 0; k < steps; k++) set.add(1 + k * r);
  } else {
    for (const v of linspace(1, T, steps)) set.add(Math.round(v));
  }
  return [...set].sort((a, b) => b - a);
}

/** The timestep a chain at t goes to next: the largest entry of `timesteps` below t, or 0. */
export function previousTimestep(timesteps: readonly number[], t: number): number {
  let best = 0;
  for (const s of timesteps) if (s < t && s > best) best = s;
  return best;
}
