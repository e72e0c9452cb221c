/**
 * Adam with its step counter on the GPU (shaders/nn/adam_step.wgsl): a 16-byte state buffer {t, bc1, bc2}
 * advanced by one `adam_tick` invocation per learning step, and the hyperparameters in a uniform that is
 * written only when they change, so a training step's dispatches need no queue write.
 */
import { UniformLayout } from '../../gpu/uniforms';
import { createStorageBuffer } from '../../gpu/compute';
import { nnPipelines, type BufferOrView, type Dispatch } from './pipelines';
import { dispatch, elementsPerInvocation, type OpResources } from './op-resources';
import { ADAM_DEFAULTS, type AdamOptions } from './spec';

export const ADAM_HYPER = new UniformLayout([
  ['lr', 'f32'],
  ['beta1', 'f32'],
  ['beta2', 'f32'],
  ['eps', 'f32'],
  ['weight_decay', 'f32'],
  ['log_beta1', 'f32'],
  ['log_beta2', 'f32'],
] as const);

/** Bytes of the GPU step state: t (u32), bc1, bc2 (f32) and a pad word. */
export const ADAM_STATE_BYTES = 16;

/** The uniform's values: ln β in float64, rounded once (β = 0 gives a large finite negative, not −∞). */
export function adamHyperValues(o: AdamOptions) {
  const beta1 = o.beta1 ?? ADAM_DEFAULTS.beta1;
  const beta2 = o.beta2 ?? ADAM_DEFAULTS.beta2;
  const log = (b: number) => Math.max(Math.log(b), -1e30);
  return {
    lr: o.lr,
    beta1,
    beta2,
    eps: o.eps ?? ADAM_DEFAULTS.eps,
    weight_decay: o.weightDecay ?? 0,
    log_beta1: log(beta1),
    log_beta2: log(beta2),
  };
}

/**
 * Adam's uniform and step state of one trainer. `set` writes the uniform only when a value differs from
 * what it holds (a write applies to the whole next submit, so steps that share a command buffer must
 * share their hyperparameters); `setStep(t)` (a queue write) restores the counter.
 */
export class AdamState {
  readonly hyper: GPUBuffer;
  /** {t: u32, bc1: f32, bc2: f32, pad}: t is the number of learning steps taken. */
  readonly state: GPUBuffer;
  private current: AdamOptions | null = null;

  constructor(
    readonly device: GPUDevice,
    label: string,
  ) {
    this.hyper = ADAM_HYPER.createBuffer(device, `${label}.adam.hyper`);
    this.state = createStorageBuffer(device, `${label}.adam.state`, ADAM_STATE_BYTES);
  }

  /** Writes the uniform when lr, betas, ε or weight decay changed; returns whether it wrote. */
  set(o: AdamOptions): boolean {
    const c = this.current;
    if (
      c &&
      c.lr === o.lr &&
      c.beta1 === o.beta1 &&
      c.beta2 === o.beta2 &&
      c.eps === o.eps &&
      c.weightDecay === o.weightDecay
    )
      return false;
    this.current = { ...o };
    ADAM_HYPER.write(this.device, this.hyper, adamHyperValues(o));
    return true;
  }

  setStep(t: number): void {
    if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) throw new RangeError(`Adam step count ${t}`);
    this.device.queue.writeBuffer(this.state, 0, Uint32Array.of(t, 0, 0, 0));
  }

  destroy(): void {
    this.hyper.destroy();
    this.state.destroy();
  }
}

export interface AdamBuffers {
  grad: BufferOrView;
  param: BufferOrView;
  m: BufferOrView;
  v: BufferOrView;
}

/**
 * Adam over `count` elements of b, on one bind group; with `tick`, first the one-invocation dispatch that
 * advances the step counter (exactly once per learning step, before every update of that step).
 */
export function adamStep(
  res: OpResources,
  label: string,
  adam: AdamState,
  b: AdamBuffers,
  count: number,
  tick = true,
): Dispatch[] {
  const buffers = [adam.hyper, b.grad, b.param, b.m, b.v, adam.state];
  const groups = Math.ceil(count / (64 * elementsPerInvocation(res.device)));
  const update = dispatch(res, 'adamStep', 'adam', `${label}.adam.bg`, buffers, groups);
  if (!tick) return [update];
  const tickPipeline = nnPipelines(res.device).adamStep.pipelines['adam_tick']!;
  return [{ pipeline: tickPipeline, bindGroup: update.bindGroup, x: 1 }, update];
}
