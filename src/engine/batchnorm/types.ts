/** The BatchNorm lab engine's configuration, step options and per-step report (both backends). */
import type { Activation } from '../../kernels/nn/spec';
import type { LabData, LabTask } from '../../models/mlp';
import type { BatchNormSnapshot } from './snapshot';

export type { BatchNormSnapshot, NetSnapshot } from './snapshot';

export interface BatchNormLabConfig {
  /** A 2D task generated on the fly, or an image task whose images come in `data`. */
  task: LabTask;
  lr: number;
  batch: number;
  depth: number;
  width: number;
  seed: number;
  /** Hidden nonlinearity (default ReLU). */
  activation?: Activation;
  /**
   * A fixed data set (required by the image tasks, optional for the others): batches are drawn from its
   * rows with replacement, and its held-out split is evaluated when a step asks for it.
   */
  data?: LabData;
}

export interface StepOptions {
  /** Take a training step (false: only evaluate the current batch, e.g. while paused). */
  train: boolean;
  /** Show the BN net in train mode (batch statistics) or eval mode (running statistics). */
  view: 'train' | 'eval';
  /** Layer whose unit input is summarised by percentiles. */
  layer: number;
  unit: number;
  /** Also evaluate both networks on the held-out split of config.data (eval mode: running statistics). */
  evaluate?: boolean;
  /** Also read the whole training state back in this step's submit (GPU engine; the CPU one ignores it). */
  snapshot?: boolean;
}

/** Several training steps in one call (one submit, one readback): BatchNormEngine.run. */
export interface RunOptions {
  /** Training steps to take (1 … engine.maxStepsPerCall). */
  steps: number;
  view: 'train' | 'eval';
  layer: number;
  unit: number;
  /** Evaluate the held-out split after this many of the call's steps (1 … steps; absent: not at all). */
  evaluateAfter?: number;
  /** Also read the whole training state after the last step (GPU engine; the CPU one ignores it). */
  snapshot?: boolean;
}

/** One training step's batch loss and accuracy of both networks (of its batch, before its update). */
export interface StepMetrics {
  loss: { withBN: number; withoutBN: number };
  accuracy: { withBN: number; withoutBN: number };
}

/** What a run of several steps reports: every step's loss and accuracy, the full report of the last. */
export interface BatchNormRun {
  /** steps[i]: the step taken after `last.step − steps.length + i` updates. */
  steps: StepMetrics[];
  /** The last step's report (statistics, percentiles, snapshot); its loss and accuracy are steps.at(-1)'s. */
  last: BatchNormStep;
  /** The held-out evaluation asked for (evaluateAfter), made after `step` updates. */
  heldOut?: { step: number; result: HeldOut };
}

/** Held-out loss and accuracy of both networks on `count` rows (a whole number of batches). */
export interface HeldOut {
  count: number;
  loss: { withBN: number; withoutBN: number };
  accuracy: { withBN: number; withoutBN: number };
}

export interface ChannelStats {
  mean: number[];
  var: number[];
}

export interface LayerReport {
  index: number;
  /** BN net: batch statistics of the Linear output (BN input). */
  preBN: ChannelStats;
  /** BN net: batch statistics of x̂ (BN output before γ, β) — in eval view, normalised by the running stats. */
  postBN: ChannelStats;
  runningMean: number[];
  runningVar: number[];
  /** Plain net: batch statistics of the same layer's Linear output. */
  plain: ChannelStats;
}

export interface BatchNormStep {
  /** Training steps taken so far. */
  step: number;
  view: 'train' | 'eval';
  loss: { withBN: number; withoutBN: number };
  accuracy: { withBN: number; withoutBN: number };
  layers: LayerReport[];
  /** 15th, 50th, 85th percentiles of the chosen unit's activation input (BN output / Linear output). */
  percentiles: {
    layer: number;
    unit: number;
    withBN: [number, number, number];
    withoutBN: [number, number, number];
  };
  /** Present when the step was asked to evaluate and the data has a held-out split. */
  heldOut?: HeldOut;
  /** The training state after this step, when the step was asked for it (GPU engine). */
  snapshot?: BatchNormSnapshot;
  backend: 'gpu' | 'cpu';
}

export interface BatchNormEngine {
  readonly config: BatchNormLabConfig;
  readonly steps: number;
  /** The most steps one run() may take. */
  readonly maxStepsPerCall: number;
  step(options: StepOptions): Promise<BatchNormStep>;
  /** Takes options.steps training steps in one call; equal to as many step() calls, step for step. */
  run(options: RunOptions): Promise<BatchNormRun>;
  /** The training state now, without a step (GPU engine only). */
  readSnapshot?(): Promise<BatchNormSnapshot>;
  destroy(): void;
}
