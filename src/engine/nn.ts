/**
 * The MLP of src/models/mlp.ts on the GPU: every buffer, op and dispatch list is made once per shape; a
 * training step is one compute pass (forward, softmax cross-entropy, backward, Adam) in the caller's
 * encoder. Reads back only what the caller copies (the 8-byte loss/accuracy, or statistics).
 */
import { createStorageBuffer } from '../gpu/compute';
import { encodeDispatches, type Dispatch } from '../kernels/nn/pipelines';
import * as ops from '../kernels/nn/ops';
import { ADAM_DEFAULTS, BN_EPS, BN_MOMENTUM } from '../kernels/nn/spec';
import { initWeights, tensorSpecs, type Batch, type MlpShape, type TensorSpec } from '../models/mlp';

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
  readonly params = new Map<string, GPUBuffer>();
  /** Per hidden layer, the activation's input [rows, width] (BN output y with BN, the Linear output z without). */
  readonly reluInputs: GPUBuffer[] = [];
  readonly specs: TensorSpec[];
  /** Adam's first and second moments (m, v) of each trainable tensor, by tensor name. */
  readonly moments = new Map<string, { m: GPUBuffer; v: GPUBuffer }>();
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
    const grads = new Map<string, GPUBuffer>();
    this.adam = new ops.AdamState(device, label);
    this.adam.setStep(0);
    for (const s of this.specs) {
      const p = buf(s.name, s.size);
      device.queue.writeBuffer(p, 0, Float32Array.from(init.get(s.name)!));
      this.params.set(s.name, p);
      grads.set(s.name, buf(`${s.name}.grad`, s.size));
    }
    this.x = buf('x', B * inDim);
    this.labels = buf('labels', B);
    this.result = buf('result', 4);
    const P = (n: string) => this.params.get(n)!;
    const G = (n: string) => grads.get(n)!;

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
      if (batchNorm) {
        const running = buf(`layers.${l}.bn.running_var`, width);
        device.queue.writeBuffer(running, 0, new Float32Array(width).fill(1));
        const bn: ops.BnBuffers = {
          gamma: P(`layers.${l}.bn.gamma`),
          beta: P(`layers.${l}.bn.beta`),
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
          ),
        );
        layer.bn = bn;
      }
      preRelu.push(h);
      this.reluInputs.push(h);
      this.layers.push(layer);
      const act = buf(`layers.${l}.a`, B * width);
      const relu = ops.activationOp(this.res, `${n}.act`, shape.activation ?? 'relu', B * width, h, act);
      fwdTrain.push(...relu);
      fwdEval.push(...relu);
      fwdProbe.push(...relu);
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
        { rows: B, inDim: last, outDim: K },
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
      const dh = buf(`layers.${l}.dh`, B * width);
      this.trainList.push(
        ...ops.activationOp(
          this.res,
          `${n}.act.backward`,
          shape.activation ?? 'relu',
          B * width,
          preRelu[l]!,
          dh,
          da!,
        ),
      );
      let dz = dh;
      if (batchNorm) {
        dz = buf(`layers.${l}.dz`, B * width);
        this.trainList.push(
          ...ops.bnBackward(
            this.res,
            `${n}.bn`,
            { rows: B, channels: width, train: true },
            dh,
            this.layers[l]!.bn!,
            dz,
            G(`layers.${l}.bn.gamma`),
            G(`layers.${l}.bn.beta`),
          ),
        );
      }
      const nextDa = l > 0 ? buf(`layers.${l - 1}.da`, B * width) : undefined;
      this.trainList.push(
        ...ops.linearBackward(
          this.res,
          `${n}.linear`,
          { rows: B, inDim: fanIn, outDim: width },
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
    for (const [i, s] of this.specs.entries()) {
      const moments = { m: buf(`${s.name}.m`, s.size), v: buf(`${s.name}.v`, s.size) };
      this.moments.set(s.name, moments);
      const b = { grad: G(s.name), param: P(s.name), ...moments };
      // The first tensor's list starts with the step counter's tick (once per learning step).
      this.trainList.push(...ops.adamStep(this.res, `${label}.${s.name}`, this.adam, b, s.size, i === 0));
    }
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
   * Every buffer of the training state, named: the trainable tensors, BN running statistics and Adam's
   * moments (`<name>.m`, `<name>.v`). With `t` it is all a later step depends on besides the batch.
   */
  stateTensors(): [name: string, buffer: GPUBuffer, floats: number][] {
    const out: [string, GPUBuffer, number][] = [];
    for (const s of this.specs) {
      const { m, v } = this.moments.get(s.name)!;
      out.push(
        [s.name, this.params.get(s.name)!, s.size],
        [`${s.name}.m`, m, s.size],
        [`${s.name}.v`, v, s.size],
      );
    }
    this.layers.forEach((l, i) => {
      if (!l.bn) return;
      out.push([`layers.${i}.bn.running_mean`, l.bn.runningMean, this.shape.width]);
      out.push([`layers.${i}.bn.running_var`, l.bn.runningVar, this.shape.width]);
    });
    return out;
  }

  /** Reads every trainable tensor (and running stats) back: the model's saved weights. */
  async saveWeights(): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    const entries: [string, GPUBuffer, number][] = this.specs.map((s) => [
      s.name,
      this.params.get(s.name)!,
      s.size,
    ]);
    this.layers.forEach((l, i) => {
      if (l.bn) {
        entries.push([`layers.${i}.bn.running_mean`, l.bn.runningMean, this.shape.width]);
        entries.push([`layers.${i}.bn.running_var`, l.bn.runningVar, this.shape.width]);
      }
    });
    const enc = this.device.createCommandEncoder({ label: `${this.label}.save` });
    const staging = entries.map(([name, b, n]) => {
      const s = this.device.createBuffer({
        label: `${this.label}.save.${name}`,
        size: Math.ceil((n * 4) / 16) * 16,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      enc.copyBufferToBuffer(b, 0, s, 0, s.size);
      return s;
    });
    this.device.queue.submit([enc.finish()]);
    for (const [i, [name, , n]] of entries.entries()) {
      const s = staging[i]!;
      await s.mapAsync(GPUMapMode.READ);
      out[name] = Array.from(new Float32Array(s.getMappedRange()).slice(0, n));
      s.unmap();
      s.destroy();
    }
    return out;
  }

  /**
   * Loads tensors saved by saveWeights (missing names keep their values). Every tensor is checked first:
   * an unknown name or a wrong length throws a RangeError naming the tensor and nothing is written.
   */
  loadWeights(weights: Record<string, ArrayLike<number>>): void {
    const writes: [GPUBuffer, Float32Array<ArrayBuffer>][] = [];
    for (const [name, values] of Object.entries(weights)) {
      const m = /^layers\.(\d+)\.bn\.running_(mean|var)$/.exec(name);
      const bn = m ? this.layers[Number(m[1])]?.bn : undefined;
      const target = bn ? (m![2] === 'mean' ? bn.runningMean : bn.runningVar) : this.params.get(name);
      const size = bn ? this.shape.width : this.specs.find((s) => s.name === name)?.size;
      if (!target || size === undefined) {
        throw new RangeError(
          `Weights hold a tensor "${name}" that this model (depth ${this.shape.depth}, width ${this.shape.width}` +
            `${this.shape.batchNorm ? ', BatchNorm' : ''}) does not have.`,
        );
      }
      if (values.length !== size) {
        throw new RangeError(
          `Weights "${name}" hold ${values.length} values; this model (depth ${this.shape.depth}, width ` +
            `${this.shape.width}) needs ${size}.`,
        );
      }
      writes.push([target, Float32Array.from(values)]);
    }
    for (const [target, data] of writes) this.device.queue.writeBuffer(target, 0, data);
  }

  destroy(): void {
    this.adam.destroy();
    this.res.destroy();
    for (const b of this.buffers) b.destroy();
  }
}
