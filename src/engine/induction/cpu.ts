/**
 * The induction model's float64 trainer: the loss and gradient of every parameter (the forward of
 * src/models/induction, the backward composed from the transformer and nn float64 references) and Adam
 * with linear warm-up. The GPU trainer's oracle and a CPU backend.
 */
import { adamStep, linearBackward, softmaxXent } from '../../kernels/nn/ref';
import {
  causalAttentionBackward,
  embeddingBackward,
  headMerge,
  headSplit,
} from '../../kernels/transformer/ref';
import type { HeadShape } from '../../kernels/transformer/spec';
import { inductionForward } from '../../models/induction/index';
import {
  INDUCTION_CONFIG,
  initInduction,
  parameterCount,
  parameterLayout,
  tensorSlot,
  type InductionConfig,
} from '../../models/induction/params';
import {
  INDUCTION_TRAINING,
  defaultTokens,
  learningRateAt,
  splitTargets,
  type TokenSource,
  type TrainingSettings,
} from './training';

export interface LossAndGradient {
  /** Mean next-token cross-entropy (nats) and top-1 accuracy over batch·(T − 1) targets. */
  loss: number;
  accuracy: number;
  /** d loss / d params, in parameterLayout order. */
  grad: Float64Array;
}

/**
 * Loss and gradient of `params` on tokens [batch][T] (the objective of splitTargets): logits → softmax
 * cross-entropy → unembed → per layer (last first) W_O, attention, W_Q/W_K/W_V, residual → embeddings.
 */
export function inductionLossAndGradient(
  params: ArrayLike<number>,
  tokens: ArrayLike<number>,
  batch: number,
  config: InductionConfig = INDUCTION_CONFIG,
): LossAndGradient {
  const { inputs, targets, len: n } = splitTargets(tokens, batch, config);
  const p = Float64Array.from(params);
  const layout = parameterLayout(config);
  const slot = (name: string) => tensorSlot(layout, name);
  const W = (name: string) => p.subarray(slot(name).offset, slot(name).offset + slot(name).size);
  const grad = new Float64Array(parameterCount(config));
  const put = (name: string, g: Float64Array) => grad.set(g, slot(name).offset);
  const { dModel: d, heads: H, dHead: dh, vocab, layers: L } = config;
  const classes = vocab + 1;
  const hd = H * dh;
  const R = batch * n;
  const f = inductionForward(p, inputs, batch, config, { cache: true });
  const cache = f.cache!;
  const xent = softmaxXent(f.logits, targets, R, classes);
  const un = linearBackward(cache.residual[L]!, W('unembed'), xent.dlogits, R, d, classes);
  put('unembed', un.dw);
  let g = un.dx;
  const s: HeadShape = { batch, heads: H, len: n, dHead: dh };
  for (let l = L - 1; l >= 0; l--) {
    const out = linearBackward(cache.z[l]!, W(`layers.${l}.wO`), g, R, hd, d);
    put(`layers.${l}.wO`, out.dw);
    const heads = {
      q: headSplit(cache.q[l]!, s),
      k: headSplit(cache.k[l]!, s),
      v: headSplit(cache.v[l]!, s),
    };
    const a = causalAttentionBackward({ ...heads, a: f.attention[l]! }, headSplit(out.dx, s), s);
    // The residual passes g through; each projection adds its dX, in the order Q, K, V (as the GPU does).
    const dx = Float64Array.from(g);
    for (const [name, dHeads] of [
      ['wQ', a.dQ],
      ['wK', a.dK],
      ['wV', a.dV],
    ] as const) {
      const r = linearBackward(cache.residual[l]!, W(`layers.${l}.${name}`), headMerge(dHeads, s), R, d, hd);
      put(`layers.${l}.${name}`, r.dw);
      for (let i = 0; i < dx.length; i++) dx[i] = dx[i]! + r.dx[i]!;
    }
    g = dx;
  }
  const e = embeddingBackward(inputs, g, { batch, len: n, vocab: classes, dModel: d });
  put('tokEmbed', e.dTok);
  put('posEmbed', e.dPos); // rows n … context − 1 of posEmbed get no gradient (0)
  return { loss: xent.loss, accuracy: xent.accuracy, grad };
}

export interface TrainerOptions {
  /** Init and data seed (initInduction(seed), inductionBatch(seed, step, batch)). */
  seed: number;
  config?: InductionConfig;
  /** Defaults: INDUCTION_TRAINING. */
  settings?: Partial<TrainingSettings>;
  /** Start from these parameters (parameterLayout order) instead of initInduction(seed). */
  init?: ArrayLike<number>;
  /** Where each step's tokens come from (default: the data for `seed`). */
  tokens?: TokenSource;
}

/** Float64 Adam on inductionLossAndGradient, one fresh batch per step. */
export class CpuInductionTrainer {
  readonly config: InductionConfig;
  readonly settings: TrainingSettings;
  readonly params: Float64Array;
  readonly m: Float64Array;
  readonly v: Float64Array;
  /** Optimiser steps done. */
  step = 0;
  private readonly tokens: TokenSource;

  constructor(o: TrainerOptions) {
    this.config = o.config ?? INDUCTION_CONFIG;
    this.settings = { ...INDUCTION_TRAINING, ...o.settings };
    const count = parameterCount(this.config);
    this.params = o.init ? Float64Array.from(o.init) : initInduction(o.seed, this.config);
    if (this.params.length !== count)
      throw new RangeError(
        `Initial parameters hold ${this.params.length} values; this model needs ${count}.`,
      );
    this.m = new Float64Array(count);
    this.v = new Float64Array(count);
    this.tokens = o.tokens ?? defaultTokens(o.seed, this.config);
  }

  /** One step on batch `this.step`: returns that batch's loss and accuracy before the update. */
  trainStep(): { loss: number; accuracy: number } {
    const B = this.settings.batch;
    const r = inductionLossAndGradient(this.params, this.tokens(this.step, B), B, this.config);
    const t = ++this.step;
    const { beta1, beta2, eps } = this.settings;
    adamStep(this.params, r.grad, this.m, this.v, t, {
      lr: learningRateAt(t, this.settings),
      beta1,
      beta2,
      eps,
    });
    return { loss: r.loss, accuracy: r.accuracy };
  }
}
