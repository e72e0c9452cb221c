/**
 * Shared by the training-core kernels (shaders/nn), their float64 references (ref.ts), the models, state and
 * UI: the activation list (its index is the WGSL `kind`), BatchNorm and Adam constants.
 */

/** Hidden nonlinearities; the index of each is the `kind` of shaders/nn/activation.wgsl. */
export const ACTIVATIONS = ['relu', 'sigmoid', 'silu', 'gelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** BatchNorm1d defaults (PyTorch): ε added to the variance, momentum of the running statistics. */
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** Adam's defaults (Kingma & Ba; PyTorch), used by the GPU trainers and the float64 reference. */
export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** AdamW's decoupled weight decay (default 0: plain Adam). */
  weightDecay?: number;
}
