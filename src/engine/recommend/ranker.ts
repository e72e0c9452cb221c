/**
 * The recommendation lab's ranker on the GPU: trains the MLP of src/models/recommend-ranker.ts with GpuMlp
 * (the nn kernels, one compute pass per Adam step) and scores candidate feature rows with RankScoreKernel.
 * The scorer keeps the weights it was built with until a training run finishes (a cancelled run changes nothing).
 */
import { msg, str } from '@lit/localize';
import { withErrorScopes } from '../../gpu/device';
import { createStorageBuffer, submitCheckpoint, throwIfAborted, type RunControl } from '../../gpu/compute';
import { ReadbackPool, encodeReadback } from '../../gpu/readback';
import { RankScoreKernel, rankScoreWeightCount } from '../../kernels/recommend/rank-score';
import { labDataDim, makeDataBatch, tensorSpecs, type LabData } from '../../models/mlp';
import { RANKER_FEATURES, RANKER_SHAPE, RANKER_TRAIN } from '../../models/recommend-ranker';
import { GpuMlp } from '../nn';

/** Training steps per checkpoint (progress report and cancellation point). */
const STEPS_PER_CHECKPOINT = 25;

/** The tensors of RANKER_SHAPE concatenated in tensorSpecs order (the layout rank_score.wgsl reads). */
export function packRankerWeights(
  weights: ReadonlyMap<string, ArrayLike<number>>,
): Float32Array<ArrayBuffer> {
  const specs = tensorSpecs(RANKER_SHAPE);
  const packed = new Float32Array(specs.reduce((n, s) => n + s.size, 0));
  let at = 0;
  for (const s of specs) {
    const w = weights.get(s.name);
    if (!w || w.length !== s.size)
      throw new RangeError(`Ranker weights "${s.name}" need ${s.size} values, got ${w?.length ?? 'none'}.`);
    packed.set(Array.from(w), at);
    at += s.size;
  }
  return packed;
}

export class GpuRanker {
  private readonly kernel: RankScoreKernel;
  private readonly weights: GPUBuffer;

  constructor(
    readonly device: GPUDevice,
    readonly scoreRows: number,
    weights: ReadonlyMap<string, ArrayLike<number>>,
    readonly label = 'recommend.ranker',
  ) {
    const { depth, width, batchNorm } = RANKER_SHAPE;
    if (depth !== 1 || batchNorm)
      throw new Error('The rank-score kernel runs one hidden layer without BatchNorm.');
    if (!(Number.isInteger(scoreRows) && scoreRows >= 1))
      throw new RangeError(`The ranker needs at least one row to score, got ${scoreRows}.`);
    this.kernel = new RankScoreKernel(device, { inDim: RANKER_FEATURES, width }, `${label}.score`);
    this.weights = createStorageBuffer(
      device,
      `${label}.weights`,
      rankScoreWeightCount(RANKER_FEATURES, width) * 4,
    );
    this.setWeights(weights);
  }

  /** Replaces the scorer's weights (queue write, ordered before the next submit). */
  setWeights(weights: ReadonlyMap<string, ArrayLike<number>>): void {
    this.device.queue.writeBuffer(this.weights, 0, packRankerWeights(weights));
  }

  /**
   * Trains a fresh GpuMlp (initialised from `seed`) for `steps` Adam steps on makeDataBatch(data, seed, step)
   * batches — the batches and updates of trainRankerCpu — one submit per step, a checkpoint every
   * STEPS_PER_CHECKPOINT steps; then loads the trained weights into the scorer. `loss` is the mean training
   * loss of the last RANKER_TRAIN.lossWindow steps.
   */
  async train(
    data: LabData,
    steps: number,
    seed: number,
    control: RunControl = {},
  ): Promise<{ loss: number; steps: number; weights: Map<string, Float32Array> }> {
    if (labDataDim(data) !== RANKER_FEATURES || data.classes !== 2)
      throw new RangeError(`Ranker data needs ${RANKER_FEATURES} features per row and 2 classes.`);
    if (!(Number.isInteger(steps) && steps >= 1))
      throw new RangeError(`Training needs ≥ 1 step, got ${steps}.`);
    const { device, label } = this;
    const { signal, onProgress } = control;
    throwIfAborted(signal);
    return withErrorScopes(device, msg('Ranker training'), async () => {
      onProgress?.({
        phase: 'compile',
        message: msg('Compiling the ranker’s training kernels…'),
        done: 0,
        total: steps,
      });
      const mlp = new GpuMlp(device, RANKER_SHAPE, RANKER_TRAIN.batch, seed, `${label}.mlp`);
      const losses = createStorageBuffer(device, `${label}.losses`, steps * 8);
      const pool = new ReadbackPool(device, `${label}.train`);
      try {
        for (let step = 0; step < steps; step++) {
          if (step % STEPS_PER_CHECKPOINT === 0) {
            await submitCheckpoint(device, signal);
            onProgress?.({
              phase: 'run',
              message: msg(str`Training the ranker: step ${step} of ${steps}…`),
              done: step,
              total: steps,
            });
          }
          mlp.setBatch(makeDataBatch(data, seed, step, RANKER_TRAIN.batch));
          const enc = device.createCommandEncoder({ label: `${label}.train` });
          const pass = enc.beginComputePass({ label: `${label}.train` });
          mlp.encodeStep(pass, { train: true, lr: RANKER_TRAIN.lr });
          pass.end();
          enc.copyBufferToBuffer(mlp.result, 0, losses, step * 8, 8);
          device.queue.submit([enc.finish()]);
        }
        await submitCheckpoint(device, signal);
        onProgress?.({
          phase: 'read',
          message: msg('Reading the trained ranker back…'),
          done: steps,
          total: steps,
        });
        const tail = Math.min(steps, RANKER_TRAIN.lossWindow);
        const enc = device.createCommandEncoder({ label: `${label}.train.read` });
        const dst = encodeReadback(enc, pool, losses, tail * 8, (steps - tail) * 8);
        device.queue.submit([enc.finish()]);
        const pairs = new Float32Array(await pool.read(dst, tail * 8));
        let sum = 0;
        for (let i = 0; i < tail; i++) sum += pairs[2 * i]!;
        const saved = await mlp.saveWeights();
        const weights = new Map(Object.entries(saved).map(([k, v]) => [k, Float32Array.from(v)]));
        this.setWeights(weights);
        return { loss: sum / tail, steps, weights };
      } finally {
        mlp.destroy();
        losses.destroy();
        pool.destroy();
      }
    });
  }

  /** relevance[r] = σ(logit₁ − logit₀) of features row r (f32 [scoreRows][97]); −FLT_MAX where ids[r] == NO_PICK. */
  encodeScores(encoder: GPUCommandEncoder, features: GPUBuffer, ids: GPUBuffer, relevance: GPUBuffer): void {
    this.kernel.encode(encoder, this.scoreRows, { weights: this.weights, features, ids, relevance });
  }

  destroy(): void {
    this.kernel.destroy();
    this.weights.destroy();
  }
}
