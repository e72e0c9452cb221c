/**
 * The MLP of src/models/mlp.ts on the GPU: every buffer, op and dispatch list is made once per shape; a
 * training step is one compute pass (forward, softmax cross-entropy, backward, one Adam dispatch over flat
 * parameter/gradient/moment buffers) in the caller's encoder, with no queue write while the learning rate
 * is unchanged (Adam's step counter is on the GPU), so many steps fit in one command buffer. Reads back
 * only what the caller copies (the 8-byte loss/accuracy, or statistics).
 */
import { createStorageBuffer } from '../gpu/compute';
import { encodeDispatches, type Dispatch } from '../kernels/nn/pipelines';
import * as ops from '../kernels/nn/ops';
import { FlatLayout, viewAlignFloats } from '../kernels/nn/flat';
import { ADAM_DEFAULTS, BN_EPS, BN_MOMENTUM } from '../kernels/nn/spec';
import { initWeights, tensorSpecs, type Batch, type MlpShape, type TensorSpec } from '../models/mlp';
import { loadWeights, saveWeights, type StateTensor } from './nn-weights';

interface GpuLayer {
  /** Linear output [rows, width] (BN input). */
  z: GPUBuffer;
  /** BN buffers (x̂ [rows, width], stats (μ, σ², 1/√(σ²+ε)) per channel, running stats); absent without BN. */
  bn?: ops.BnBuffers;
}

export class GpuMlp {
  readonly layers: GpuLayer[] = [];
  readonly x: GPUBuffer;
  readonly labels: GPUBuffer;
  /** (mean loss, accuracy) of the last forward. */
  readonly result: GPUBuffer;
  /**
   * The trainable tensors in flat buffers (parameters, gradients, Adam's m and v), each tensor at
   * `layout.entry(name).offset` floats; `layout.view(flat.params, name)` binds one.
   */
  readonly flat: { params: GPUBuffer; grads: GPUBuffer; m: GPUBuffer; v: GPUBuffer };
  readonly layout: FlatLayout;
  /** Per hidden layer, the activation's input [rows, width] (BN output y with BN, the Linear output z without). */
  readonly reluInputs: GPUBuffer[] = [];
  readonly specs: TensorSpec[];
  private readonly buffers: GPUBuffer[] = [];
  private readonly res: ops.OpResources;
  /** Adam's uniform and its step counter on the GPU ({t, bc1, bc2}: t learning steps taken). */
  readonly adam: ops.AdamState;
  private readonly trainList: Dispatch[] = [];
  /** Forward in train mode (batch statistics) without touching running stats or weights. */
  private readonly probeList: Dispatch[] = [];
  private readonly evalList: Dispatch[] = [];
  /** The CPU's count of learning steps encoded (the GPU counter in adam.state is the one Adam uses). */
  t = 0;

  constructor(
    readonly device: GPUDevice,
    readonly shape: MlpShape,
    readonly rows: number,
    seed: number,
    readonly label = 'nn.mlp',
  ) {
    const { depth, width, batchNorm } = shape;
    const inDim = shape.inDim ?? 2;
    const K = shape.classes ?? 2;
    const B = rows;
    this.res = new ops.OpResources(device);
    const buf = (name: string, floats: number) => {
      const b = createStorageBuffer(device, `${label}.${name}`, floats * 4);
      this.buffers.push(b);
      return b;
    };
    this.specs = tensorSpecs(shape);
    const init = initWeights(shape, seed);
    this.adam = new ops.AdamState(device, label);
    this.adam.setStep(0);
    // β right after γ: the BN kernels bind [γ | β] (and [dγ | dβ]) as one view.
    this.layout = new FlatLayout(this.specs, viewAlignFloats(device), (n) => n.endsWith('.bn.beta'));
    const total = this.layout.total;
    this.flat = {
      params: buf('params', total),
      grads: buf('grads', total),
      m: buf('adam.m', total),
      v: buf('adam.v', total),
    };
    const initial = new Float32Array(total);
    for (const s of this.specs) initial.set(init.get(s.name)!, this.layout.entry(s.name).offset);
    device.queue.writeBuffer(this.flat.params, 0, initial);
    this.x = buf('x', B * inDim);
    this.labels = buf('labels', B);
    this.result = buf('result', 4);
    const P = (n: string, floats?: number) => this.layout.view(this.flat.params, n, floats);
    const G = (n: string, floats?: number) => this.layout.view(this.flat.grads, n, floats);
    const kind = shape.activation ?? 'relu';

    // Forward (train and eval lists differ only in the BN mode).
    const inputs: GPUBuffer[] = [];
    const preRelu: GPUBuffer[] = [];
    let a = this.x;
    const fwdTrain: Dispatch[] = [];
    const fwdEval: Dispatch[] = [];
    const fwdProbe: Dispatch[] = [];
    for (let l = 0; l < depth; l++) {
      const fanIn = l === 0 ? inDim : width;
      const n = `${label}.layers.${l}`;
      const z = buf(`layers.${l}.z`, B * width);
      const lin = ops.linearForward(
        this.res,
        `${n}.linear`,
        { rows: B, inDim: fanIn, outDim: width },
        a,
        P(`layers.${l}.weight`),
        P(`layers.${l}.bias`),
        z,
      );
      fwdTrain.push(...lin);
      fwdEval.push(...lin);
      fwdProbe.push(...lin);
      inputs.push(a);
      let h = z;
      const layer: GpuLayer = { z };
      const act = buf(`layers.${l}.a`, B * width);
      if (batchNorm) {
        const running = buf(`layers.${l}.bn.running_var`, width);
        device.queue.writeBuffer(running, 0, new Float32Array(width).fill(1));
        const bn: ops.BnBuffers = {
          affine: P(`layers.${l}.bn.gamma`, 2 * width),
          runningMean: buf(`layers.${l}.bn.running_mean`, width),
          runningVar: running,
          xhat: buf(`layers.${l}.bn.xhat`, B * width),
          stats: buf(`layers.${l}.bn.stats`, 3 * width),
        };
        h = buf(`layers.${l}.bn.y`, B * width);
        const common = { rows: B, channels: width, momentum: BN_MOMENTUM, eps: BN_EPS };
        fwdTrain.push(
          ...ops.bnForward(
            this.res,
            `${n}.bn.train`,
            { ...common, train: true, updateRunning: true },
            z,
            bn,
            h,
            { kind, out: act },
          ),
        );
        fwdEval.push(
          ...ops.bnForward(
            this.res,
            `${n}.bn.eval`,
            { ...common, train: false, updateRunning: false },
            z,
            bn,
            h,
            { kind, out: act },
          ),
        );
        fwdProbe.push(
          ...ops.bnForward(
            this.res,
            `${n}.bn.probe`,
            { ...common, train: true, updateRunning: false },
            z,
            bn,
            h,
            { kind, out: act },
          ),
        );
        layer.bn = bn;
      }
      preRelu.push(h);
      this.reluInputs.push(h);
      this.layers.push(layer);
      if (!batchNorm) {
        // With BN the activation is fused into the BN kernel above.
        const f = ops.activationOp(this.res, `${n}.act`, kind, B * width, h, act);
        fwdTrain.push(...f);
        fwdEval.push(...f);
        fwdProbe.push(...f);
      }
      a = act;
    }
    const last = depth > 0 ? width : inDim;
    const logits = buf('logits', B * K);
    const dlogits = buf('dlogits', B * K);
    const outLin = ops.linearForward(
      this.res,
      `${label}.out`,
      { rows: B, inDim: last, outDim: K },
      a,
      P('out.weight'),
      P('out.bias'),
      logits,
    );
    const xent = ops.softmaxXent(
      this.res,
      `${label}.xent`,
      { rows: B, classes: K },
      logits,
      this.labels,
      dlogits,
      buf('row_loss', 2 * B),
      this.result,
    );
    this.evalList.push(...fwdEval, ...outLin, ...xent);
    this.probeList.push(...fwdProbe, ...outLin, ...xent);
    this.trainList.push(...fwdTrain, ...outLin, ...xent);

    // Backward.
    let da: GPUBuffer | undefined = depth > 0 ? buf(`layers.${depth - 1}.da`, B * width) : undefined;
    this.trainList.push(
      ...ops.linearBackward(
        this.res,
        `${label}.out`,
        { rows: B, inDim: last, outDim: K, foldBias: true },
        a,
        P('out.weight'),
        dlogits,
        G('out.weight'),
        G('out.bias'),
        da,
      ),
    );
    for (let l = depth - 1; l >= 0; l--) {
      const n = `${label}.layers.${l}`;
      const fanIn = l === 0 ? inDim : width;
      const dz = buf(`layers.${l}.dz`, B * width);
      if (batchNorm) {
        // The activation's derivative fused into the BN backward: da → dz in one dispatch.
        this.trainList.push(
          ...ops.bnBackward(
            this.res,
            `${n}.bn`,
            { rows: B, channels: width, train: true },
            da!,
            this.layers[l]!.bn!,
            dz,
            G(`layers.${l}.bn.gamma`, 2 * width),
            { kind, y: preRelu[l]! },
          ),
        );
      } else {
        this.trainList.push(
          ...ops.activationOp(this.res, `${n}.act.backward`, kind, B * width, preRelu[l]!, dz, da!),
        );
      }
      const nextDa = l > 0 ? buf(`layers.${l - 1}.da`, B * width) : undefined;
      this.trainList.push(
        ...ops.linearBackward(
          this.res,
          `${n}.linear`,
          { rows: B, inDim: fanIn, outDim: width, foldBias: true },
          inputs[l]!,
          P(`layers.${l}.weight`),
          dz,
          G(`layers.${l}.weight`),
          G(`layers.${l}.bias`),
          nextDa,
        ),
      );
      da = nextDa;
    }
    // The step counter's tick, then Adam over every tensor at once (padding between them stays zero).
    const { params, grads, m, v } = this.flat;
    const flat = { grad: grads, param: params, m, v };
    this.trainList.push(...ops.adamStep(this.res, `${label}.params`, this.adam, flat, total));
  }

  /** Uploads a batch (queue writes, ordered before the next submit). */
  setBatch(batch: Batch): void {
    this.device.queue.writeBuffer(this.x, 0, batch.x);
    this.device.queue.writeBuffer(this.labels, 0, batch.labels);
  }

  /**
   * Encodes one step into `pass`. `train` is the BN mode (batch statistics vs running statistics);
   * `learn` (default: train) adds the running-stat update, backward and Adam with learning rate lr.
   * train without learn is a forward in train mode that changes nothing (for looking at a batch).
   * `weightDecay` (default 0) makes the update AdamW's decoupled decay.
   */
  encodeStep(
    pass: GPUComputePassEncoder,
    mode: { train: boolean; lr: number; learn?: boolean; weightDecay?: number },
  ): void {
    const learn = mode.learn ?? mode.train;
    if (!learn) {
      encodeDispatches(pass, mode.train ? this.probeList : this.evalList);
      return;
    }
    if (!mode.train) throw new Error('Training needs train mode');
    this.t++;
    this.setLearningRate(mode.lr, mode.weightDecay ?? 0);
    encodeDispatches(pass, this.trainList);
  }

  /**
   * Writes Adam's uniform when lr or the weight decay differ from what it holds (encodeStep calls it, so a
   * step with unchanged values issues no queue write). A write applies to the whole next submit: steps
   * encoded into one command buffer must share their learning rate.
   */
  setLearningRate(lr: number, weightDecay = 0): boolean {
    return this.adam.set({ ...ADAM_DEFAULTS, lr, weightDecay });
  }

  /** Sets the step count (the GPU counter Adam's bias corrections come from, and `t`): a queue write. */
  setStep(t: number): void {
    this.adam.setStep(t);
    this.t = t;
  }

  /**
   * Every tensor of the training state, named: the trainable tensors, Adam's moments (`<name>.m`,
   * `<name>.v`) and BN running statistics, each as (buffer, floats, offset in floats). With the step
   * counter (adam.state) it is all a later step depends on besides the batch.
   */
  stateTensors(): StateTensor[] {
    const out: StateTensor[] = [];
    for (const s of this.specs) {
      const at = this.layout.entry(s.name).offset;
      out.push(
        [s.name, this.flat.params, s.size, at],
        [`${s.name}.m`, this.flat.m, s.size, at],
        [`${s.name}.v`, this.flat.v, s.size, at],
      );
    }
    return [...out, ...this.runningStats()];
  }

  /** The BN running statistics, named as in saveWeights. */
  runningStats(): StateTensor[] {
    const out: StateTensor[] = [];
    this.layers.forEach((l, i) => {
      if (!l.bn) return;
      out.push([`layers.${i}.bn.running_mean`, l.bn.runningMean, this.shape.width, 0]);
      out.push([`layers.${i}.bn.running_var`, l.bn.runningVar, this.shape.width, 0]);
    });
    return out;
  }

  /** Reads every trainable tensor (and running stats) back: the model's saved weights. */
  saveWeights(): Promise<Record<string, number[]>> {
    return saveWeights(this);
  }

  /**
   * Loads tensors saved by saveWeights (missing names keep their values). Every tensor is checked first:
   * an unknown name or a wrong length throws a RangeError naming the tensor and nothing is written.
   */
  loadWeights(weights: Record<string, ArrayLike<number>>): void {
    loadWeights(this, weights);
  }

  destroy(): void {
    this.adam.destroy();
    this.res.destroy();
    for (const b of this.buffers) b.destroy();
  }
}
