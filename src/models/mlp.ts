/**
 * A tiny sequential MLP for 2D classification (pure TypeScript): Linear → [BatchNorm1d] → activation (ReLU by default), repeated
 * `depth` times at width `width`, then Linear → logits, softmax cross-entropy, Adam. Seeded initialisation
 * and data use the project's Philox4x32-10 reference, so a (config, seed) pair is the same network and the
 * same batches on every machine and on both backends. `CpuMlp` is the float64 CPU trainer composed from
 * the references in src/kernels/nn/ref.ts; src/engine/nn.ts runs the same model on the GPU.
 */
import { philox4x32, unitFloat } from '../kernels/random/philox.ref';
import { boxMuller } from '../kernels/random/ref';
import * as ref from '../kernels/nn/ref';
import type { Activation } from '../kernels/nn/spec';

export const TASKS = ['spirals', 'circles', 'xor'] as const;
export type Task = (typeof TASKS)[number];
/**
 * Image tasks of the BatchNorm lab: glyphs rendered by the page (the engines get them as LabData, since
 * rendering text needs a canvas).
 */
const IMAGE_TASKS = ['digits', 'letters'] as const;
export type ImageTask = (typeof IMAGE_TASKS)[number];
export const LAB_TASKS = [...TASKS, ...IMAGE_TASKS] as const;
export type LabTask = (typeof LAB_TASKS)[number];

export function isImageTask(task: LabTask): task is ImageTask {
  return (IMAGE_TASKS as readonly string[]).includes(task);
}

/** A fixed data set given to the trainers: rows of inDim inputs with a class each, plus a held-out split. */
export interface LabData {
  /** [rows, inDim] row-major. */
  inputs: Float32Array;
  /** Class index per row, in [0, classes). */
  labels: ArrayLike<number>;
  classes: number;
  /** Held-out rows (never used for training), same layout. */
  test?: { inputs: Float32Array; labels: ArrayLike<number> };
}

/** Checks a LabData and returns its input dimension; throws a readable message when it is malformed. */
export function labDataDim(d: LabData): number {
  const rows = d.labels.length;
  if (rows < 1) throw new Error('The data set is empty: it needs at least one labelled row.');
  if (!Number.isInteger(d.classes) || d.classes < 2) {
    throw new Error(`The data set needs at least 2 classes, not ${d.classes}.`);
  }
  const inDim = d.inputs.length / rows;
  if (!Number.isInteger(inDim) || inDim < 1) {
    throw new Error(
      `The data set has ${d.inputs.length} input values for ${rows} labels: not a whole number per row.`,
    );
  }
  const check = (labels: ArrayLike<number>, what: string) => {
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i]!;
      if (!Number.isInteger(c) || c < 0 || c >= d.classes) {
        throw new Error(`${what} label ${i} is ${c}, outside the ${d.classes} classes.`);
      }
    }
  };
  check(d.labels, 'Training');
  if (d.test) {
    if (d.test.inputs.length !== d.test.labels.length * inDim) {
      throw new Error(
        `The held-out split has ${d.test.inputs.length} input values for ${d.test.labels.length} labels; expected ${inDim} per row.`,
      );
    }
    check(d.test.labels, 'Held-out');
  }
  return inDim;
}

/**
 * Batch `step` drawn with replacement from a fixed data set: row i of the batch is data row
 * philox(counter (i, step, 0xDA7A, 0x1A6E), key (seed, DATA_STREAM))[0] mod rows.
 */
export function makeDataBatch(data: LabData, seed: number, step: number, rows: number): Batch {
  const n = data.labels.length;
  const inDim = data.inputs.length / n;
  const x = new Float32Array(rows * inDim);
  const labels = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) {
    const w = philox4x32([i, step >>> 0, 0xda7a, 0x1a6e], [seed >>> 0, DATA_STREAM]);
    const r = w[0] % n;
    x.set(data.inputs.subarray(r * inDim, (r + 1) * inDim), i * inDim);
    labels[i] = data.labels[r]!;
  }
  return { x, labels };
}

export interface MlpShape {
  depth: number;
  width: number;
  batchNorm: boolean;
  /** Hidden-layer nonlinearity (default ReLU). */
  activation?: Activation;
  inDim?: number;
  classes?: number;
}

/** Second Philox key word of weight initialisation ("ML1N") and of the data stream. */
const INIT_STREAM = 0x4d4c314e;
const DATA_STREAM = 0x4d4c3144;

export interface TensorSpec {
  name: string;
  size: number;
  /** Layer index of a hidden layer (-1 for the output layer). */
  layer: number;
  kind: 'weight' | 'bias' | 'gamma' | 'beta';
}

/** Trainable tensors in a fixed order (the GPU and CPU trainers and saved weights share it). */
export function tensorSpecs(shape: MlpShape): TensorSpec[] {
  const inDim = shape.inDim ?? 2;
  const classes = shape.classes ?? 2;
  const out: TensorSpec[] = [];
  for (let l = 0; l < shape.depth; l++) {
    const fanIn = l === 0 ? inDim : shape.width;
    out.push({ name: `layers.${l}.weight`, size: fanIn * shape.width, layer: l, kind: 'weight' });
    out.push({ name: `layers.${l}.bias`, size: shape.width, layer: l, kind: 'bias' });
    if (shape.batchNorm) {
      out.push({ name: `layers.${l}.bn.gamma`, size: shape.width, layer: l, kind: 'gamma' });
      out.push({ name: `layers.${l}.bn.beta`, size: shape.width, layer: l, kind: 'beta' });
    }
  }
  out.push({
    name: 'out.weight',
    size: (shape.depth > 0 ? shape.width : inDim) * classes,
    layer: -1,
    kind: 'weight',
  });
  out.push({ name: 'out.bias', size: classes, layer: -1, kind: 'bias' });
  return out;
}

/** N(0,1) normals from Philox: counter (i/2, tensor id, 0, 0x1417), key (seed, INIT_STREAM). */
function normals(count: number, seed: number, id: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 4) {
    const w = philox4x32([i >>> 2, id, 0, 0x1417], [seed >>> 0, INIT_STREAM]);
    const [a, b] = boxMuller(w[0], w[1]);
    const [c, d] = boxMuller(w[2], w[3]);
    for (const [k, v] of [a, b, c, d].entries()) if (i + k < count) out[i + k] = v;
  }
  return out;
}

/**
 * He-normal weights (std √(2/fan_in)), zero biases, γ = 1, β = 0. Linear weights depend only on the
 * layer index and seed, so the BN and plain networks of one seed start from the same Linear weights.
 */
export function initWeights(shape: MlpShape, seed: number): Map<string, Float64Array> {
  const inDim = shape.inDim ?? 2;
  const w = new Map<string, Float64Array>();
  for (const t of tensorSpecs(shape)) {
    if (t.kind === 'weight') {
      const fanIn = t.layer === 0 || (t.layer === -1 && shape.depth === 0) ? inDim : shape.width;
      const id = t.layer === -1 ? 0xffff : t.layer;
      w.set(
        t.name,
        normals(t.size, seed, id).map((v) => v * Math.sqrt(2 / fanIn)),
      );
    } else w.set(t.name, new Float64Array(t.size).fill(t.kind === 'gamma' ? 1 : 0));
  }
  return w;
}

export interface Batch {
  /** [rows, inDim] row-major ((x, y) interleaved for the 2D tasks). */
  x: Float32Array<ArrayBuffer>;
  labels: Uint32Array<ArrayBuffer>;
}

/**
 * Batch `step` of a seeded, endless stream of 2-class points (scaled to roughly unit spread). Point i of
 * the batch uses counter (i, step, task, 0xDA7A) and key (seed, DATA_STREAM).
 */
export function makeBatch(task: Task, seed: number, step: number, rows: number, noise = 0.05): Batch {
  const x = new Float32Array(rows * 2);
  const labels = new Uint32Array(rows);
  const taskId = TASKS.indexOf(task);
  for (let i = 0; i < rows; i++) {
    const w = philox4x32([i, step >>> 0, taskId, 0xda7a], [seed >>> 0, DATA_STREAM]);
    const label = w[0] & 1;
    const u = unitFloat(w[1]);
    const [n1, n2] = boxMuller(w[2], w[3]);
    let px: number;
    let py: number;
    if (task === 'spirals') {
      const t = 0.25 + 0.75 * Math.sqrt(u);
      const angle = t * 3 * Math.PI + label * Math.PI;
      px = 1.4 * t * Math.cos(angle) + noise * n1;
      py = 1.4 * t * Math.sin(angle) + noise * n2;
    } else if (task === 'circles') {
      const r = label === 0 ? 0.6 : 1.4;
      const angle = 2 * Math.PI * u;
      px = r * Math.cos(angle) + noise * 2 * n1;
      py = r * Math.sin(angle) + noise * 2 * n2;
    } else {
      const v = unitFloat(w[0]);
      px = 2 * u - 1;
      py = 2 * v - 1;
      px += noise * n1;
      py += noise * n2;
      // XOR of the signs (labels drawn from the position, not from w[0] & 1).
      labels[i] = px * py > 0 ? 1 : 0;
      x[2 * i] = px * 1.7;
      x[2 * i + 1] = py * 1.7;
      continue;
    }
    labels[i] = label;
    x[2 * i] = px;
    x[2 * i + 1] = py;
  }
  return { x, labels };
}

export interface TrainOptions {
  lr: number;
  /** Train mode (batch statistics) or eval mode (running statistics). */
  train?: boolean;
  /** Update running stats and weights (default: train). Train mode without learning only evaluates. */
  learn?: boolean;
}

interface LayerStats {
  index: number;
  /** Batch statistics of the Linear output (BN input), per channel. */
  preBN: { mean: Float64Array; variance: Float64Array };
  /** Batch statistics of x̂ (BN output before γ, β); absent without BN. */
  postBN?: { mean: Float64Array; variance: Float64Array };
  runningMean?: Float64Array;
  runningVar?: Float64Array;
  /** The Linear output [rows, width]. */
  z: Float64Array;
  /** The input of the activation [rows, width]: BN output y with BN, z without. */
  h: Float64Array;
}

export interface StepResult {
  loss: number;
  accuracy: number;
  layers: LayerStats[];
}

/** Float64 CPU trainer (the fallback backend and the GPU's reference). */
export class CpuMlp {
  readonly weights: Map<string, Float64Array>;
  readonly running: { mean: Float64Array; var: Float64Array }[] = [];
  private readonly m = new Map<string, Float64Array>();
  private readonly v = new Map<string, Float64Array>();
  t = 0;

  constructor(
    readonly shape: MlpShape,
    seed: number,
  ) {
    this.weights = initWeights(shape, seed);
    for (const [k, w] of this.weights) {
      this.m.set(k, new Float64Array(w.length));
      this.v.set(k, new Float64Array(w.length));
    }
    for (let l = 0; l < shape.depth; l++) {
      this.running.push({ mean: new Float64Array(shape.width), var: new Float64Array(shape.width).fill(1) });
    }
  }

  /** One step: forward, loss, and (in train mode) backward + Adam. Eval mode only evaluates. */
  step(batch: Batch, o: TrainOptions): StepResult {
    const { depth, width, batchNorm } = this.shape;
    const inDim = this.shape.inDim ?? 2;
    const K = this.shape.classes ?? 2;
    const B = batch.labels.length;
    const train = o.train ?? true;
    const learn = o.learn ?? train;
    if (learn && !train) throw new Error('Training needs train mode');
    const W = (n: string) => this.weights.get(n)!;
    let a: Float64Array = Float64Array.from(batch.x);
    const caches: {
      input: Float64Array;
      z: Float64Array;
      h: Float64Array;
      xhat?: Float64Array;
      invStd?: Float64Array;
    }[] = [];
    const layers: LayerStats[] = [];
    for (let l = 0; l < depth; l++) {
      const fanIn = l === 0 ? inDim : width;
      const z = ref.linearForward(a, W(`layers.${l}.weight`), W(`layers.${l}.bias`), B, fanIn, width);
      const pre = ref.channelStats(z, B, width);
      let h = z;
      const stats: LayerStats = { index: l, preBN: pre, z, h: z };
      const cache: (typeof caches)[number] = { input: a, z, h };
      if (batchNorm) {
        const r = this.running[l]!;
        const f = ref.bnForward(
          z,
          B,
          width,
          {
            gamma: W(`layers.${l}.bn.gamma`),
            beta: W(`layers.${l}.bn.beta`),
            runningMean: r.mean,
            runningVar: r.var,
          },
          train,
          learn,
        );
        h = f.y;
        cache.h = h;
        cache.xhat = f.xhat;
        cache.invStd = f.invStd;
        stats.h = h;
        stats.postBN = ref.channelStats(f.xhat, B, width);
        stats.runningMean = Float64Array.from(r.mean);
        stats.runningVar = Float64Array.from(r.var);
      }
      caches.push(cache);
      layers.push(stats);
      a = ref.activationForward(this.shape.activation ?? 'relu', h);
    }
    const last = depth > 0 ? width : inDim;
    const logits = ref.linearForward(a, W('out.weight'), W('out.bias'), B, last, K);
    const xent = ref.softmaxXent(logits, batch.labels, B, K);
    if (!learn) return { loss: xent.loss, accuracy: xent.accuracy, layers };

    const grads = new Map<string, Float64Array>();
    const out = ref.linearBackward(a, W('out.weight'), xent.dlogits, B, last, K);
    grads.set('out.weight', out.dw);
    grads.set('out.bias', out.db);
    let da = out.dx;
    for (let l = depth - 1; l >= 0; l--) {
      const c = caches[l]!;
      let dz = ref.activationBackward(this.shape.activation ?? 'relu', c.h, da);
      if (batchNorm) {
        const g = ref.bnBackward(dz, c.xhat!, W(`layers.${l}.bn.gamma`), c.invStd!, B, width, true);
        grads.set(`layers.${l}.bn.gamma`, g.dgamma);
        grads.set(`layers.${l}.bn.beta`, g.dbeta);
        dz = g.dx;
      }
      const fanIn = l === 0 ? inDim : width;
      const lb = ref.linearBackward(c.input, W(`layers.${l}.weight`), dz, B, fanIn, width);
      grads.set(`layers.${l}.weight`, lb.dw);
      grads.set(`layers.${l}.bias`, lb.db);
      da = lb.dx;
    }
    this.t++;
    for (const [k, w] of this.weights)
      ref.adamStep(w, grads.get(k)!, this.m.get(k)!, this.v.get(k)!, this.t, { lr: o.lr });
    return { loss: xent.loss, accuracy: xent.accuracy, layers };
  }
}
