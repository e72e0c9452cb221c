import { DATASETS_2D } from '../models/datasets2d';
import { SCHEDULE_KINDS, T_MAX, T_MIN } from '../models/schedules';
import { MAX_PARTICLES_GPU } from '../engine/diffusion';
import { boolParam, enumParam, floatParam, intParam, type ValuesOf } from './params';

/** Sampler choices as they appear in the URL (the variance / method is part of the name). */
export const DIFFUSION_SAMPLERS = ['ddpm-beta', 'ddpm-beta-tilde', 'ddim', 'ode-euler', 'ode-heun'] as const;
export type DiffusionSamplerChoice = (typeof DIFFUSION_SAMPLERS)[number];

/** Denoisers the page offers. 'exact' is the empirical-data posterior mean (attention over the data). */
export const DIFFUSION_DENOISERS = ['exact'] as const;

/** What the second pane varies ('off': no comparison pane). */
export const COMPARE_MODES = ['off', 'sampler', 'schedule'] as const;

/**
 * The Diffusion lab's controls as they appear in the URL
 * (#/diffusion?dataset=two-moons&schedule=cosine&T=100&sampler=ddpm-beta-tilde&…). Defaults are small
 * (T = 100, 2000 particles) so the page is quick even on a software WebGPU adapter. `steps` (DDIM / ODE
 * only) is clamped to T by the page with a notice; `particles` to the CPU ceiling on the CPU backend.
 */
export const diffusionSchema = {
  dataset: enumParam(DATASETS_2D, 'two-moons'),
  points: intParam({ min: 16, max: 8192, default: 1000 }),
  schedule: enumParam(SCHEDULE_KINDS, 'cosine'),
  T: intParam({ min: T_MIN, max: T_MAX, default: 100 }),
  ztsnr: boolParam(false),
  sampler: enumParam(DIFFUSION_SAMPLERS, 'ddpm-beta-tilde'),
  steps: intParam({ min: 1, max: T_MAX, default: 50 }),
  eta: floatParam({ min: 0, max: 1, default: 0 }),
  denoiser: enumParam(DIFFUSION_DENOISERS, 'exact'),
  particles: intParam({ min: 1, max: MAX_PARTICLES_GPU, default: 2000 }),
  seed: intParam({ min: 0, max: 2 ** 32 - 1, default: 7 }),
  speed: intParam({ min: 1, max: 60, default: 10 }),
  x0: boolParam(false),
  field: boolParam(true),
  density: boolParam(false),
  trails: boolParam(true),
  compare: enumParam(COMPARE_MODES, 'off'),
  samplerB: enumParam(DIFFUSION_SAMPLERS, 'ddim'),
  scheduleB: enumParam(SCHEDULE_KINDS, 'linear'),
};

export type DiffusionState = ValuesOf<typeof diffusionSchema>;
