/**
 * The funnel on the GPU for one data set: every buffer made once (FunnelBuffers), the kernels made once per
 * device (RecommendKernels), four submits per run — recall, pre-rank, rank, re-rank + sweep + metrics — each
 * timed by the wall clock to onSubmittedWorkDone. Reads back only the selected user's rows and the means.
 */
import { msg } from '@lit/localize';
import { createStorageBuffer, submitCheckpoint, type RunControl } from '../../gpu/compute';
import { encodeReadback } from '../../gpu/readback';
import { encodeDispatches, type Dispatch } from '../../kernels/nn/pipelines';
import { OpResources, linearOutInForward } from '../../kernels/nn/ops';
import { FUNNEL, FUNNEL_SLOTS, RANKER_FEATURES } from '../../kernels/recommend/funnel-spec';
import type { ListMetrics } from '../../kernels/recommend/metrics.ref';
import type { RerankBuffers } from '../../kernels/recommend/rerank-common';
import { NO_PICK, RECOMMEND_DIM, RERANK_METHODS, type RerankMethod } from '../../kernels/recommend/spec';
import { RECOMMEND_DATA } from '../../models/recommend-data';
import type { RecommendInputs } from '../../models/recommend-inputs';
import { LAB_DPP_EPSILON, SWEPT, type FunnelRaw, type RecommendRequest } from './assemble';
import type { RecommendKernels } from './kernels';
import { GpuRanker } from './ranker';

/** Points of the metrics pass: relevance, the three methods at the lab's setting, then SWEPT's points. */
const CURRENT: readonly RerankMethod[] = RERANK_METHODS;
const POINTS = CURRENT.length + SWEPT.reduce((n, s) => n + s.values.length, 0);

export class GpuFunnel {
  private readonly buffers: GPUBuffer[] = [];
  private readonly res: OpResources;
  private readonly recallList: Dispatch[];
  private readonly b: Record<string, GPUBuffer> = {};
  readonly ranker: GpuRanker;
  readonly users: number;

  constructor(
    private readonly k: RecommendKernels,
    readonly inputs: RecommendInputs,
    weights: ReadonlyMap<string, ArrayLike<number>>,
  ) {
    const device = k.device;
    const U = (this.users = inputs.users.length);
    const I = inputs.catalog.count;
    const N = FUNNEL.listN;
    const M = FUNNEL.rankK;
    const buf = (name: string, bytes: number) => {
      const b = createStorageBuffer(device, `recommend.${name}`, bytes);
      this.buffers.push(b);
      this.b[name] = b;
      return b;
    };
    const upload = (name: string, data: Float32Array | Uint32Array) => {
      const b = buf(name, data.byteLength);
      device.queue.writeBuffer(b, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
      return b;
    };
    upload('embeddings', inputs.catalog.embeddings);
    upload('categories', inputs.catalog.category);
    upload('logPop', inputs.logPop);
    upload('userVecs', inputs.userVecs);
    upload('history', inputs.history);
    upload('heldOut', inputs.heldOut);
    upload('recentCategory', inputs.recentCategory);
    upload('popular', inputs.popular);
    upload('recentTable', inputs.recentTable);
    upload('historyDist', inputs.historyDist);
    buf('zeroBias', I * 4);
    buf('recallScores', U * I * 4);
    buf('recallIds', U * FUNNEL.recallK * 4);
    buf('recallValues', U * FUNNEL.recallK * 4);
    buf('merged', U * FUNNEL_SLOTS * 4);
    buf('prerank', U * FUNNEL_SLOTS * 4);
    buf('pos100', U * FUNNEL.prerankK * 4);
    buf('val100', U * FUNNEL.prerankK * 4);
    buf('ids100', U * FUNNEL.prerankK * 4);
    buf('features', U * FUNNEL.prerankK * RANKER_FEATURES * 4);
    buf('rel100', U * FUNNEL.prerankK * 4);
    buf('pos50', U * M * 4);
    buf('val50', U * M * 4);
    buf('ids50', U * M * 4);
    buf('rel50', U * M * 4);
    buf('relPicks', U * N * 4);
    buf('relGains', U * N * 4);
    for (const m of ['mmr', 'dpp', 'calibration']) {
      buf(`${m}.picks`, U * N * 4);
      buf(`${m}.gains`, U * N * 4);
    }
    SWEPT.forEach((s) => {
      buf(`${s.method}.sweepPicks`, s.values.length * U * N * 4);
      buf(`${s.method}.sweepGains`, s.values.length * U * N * 4);
    });
    buf('allPicks', POINTS * U * N * 4);
    buf('perUser', POINTS * U * 4 * 4);
    buf('mean', POINTS * 4 * 4);
    this.res = new OpResources(device);
    const B = this.b;
    this.recallList = linearOutInForward(
      this.res,
      'recommend.recall',
      { rows: U, inDim: RECOMMEND_DIM, outDim: I },
      B.userVecs!,
      B.embeddings!,
      B.zeroBias!,
      B.recallScores!,
    );
    this.ranker = new GpuRanker(device, U * FUNNEL.prerankK, weights);
    this.weights = weights;
  }

  /** New ranker weights: the rank stage runs again on the next run (recall and pre-rank stay valid). */
  setWeights(weights: ReadonlyMap<string, ArrayLike<number>>): void {
    if (weights === this.weights) return;
    this.weights = weights;
    this.ranker.setWeights(weights);
    this.done.rank = null;
  }

  /**
   * The measured time of each stage whose outputs are still in the buffers (null: run it). Recall and
   * pre-rank depend only on the data, rank on the weights too; a new λ or θ re-runs the re-rank stage only.
   */
  private readonly done: { recall: number | null; prerank: number | null; rank: number | null } = {
    recall: null,
    prerank: null,
    rank: null,
  };
  private weights: ReadonlyMap<string, ArrayLike<number>>;

  /** Forgets every stage's outputs: the next run computes the whole funnel (the benchmark's full case). */
  invalidate(): void {
    this.done.recall = this.done.prerank = this.done.rank = null;
  }

  private rerankBuffers(picks: GPUBuffer, gains: GPUBuffer): RerankBuffers {
    const B = this.b;
    return {
      items: B.ids50!,
      embeddings: B.embeddings!,
      categories: B.categories!,
      relevance: B.rel50!,
      history: B.historyDist!,
      picks,
      gains,
    };
  }

  /** Encodes and submits one stage, then waits for it: its wall time in ms. */
  /** Stages of the data on screen whose stored time includes shader compilation. */
  private readonly cold = new Set<'recall' | 'prerank' | 'rank' | 'rerank'>();

  private async stage(
    label: 'recall' | 'prerank' | 'rank' | 'rerank',
    control: RunControl,
    encode: (e: GPUCommandEncoder) => void,
  ): Promise<number> {
    const device = this.k.device;
    const t0 = performance.now();
    const enc = device.createCommandEncoder({ label: `recommend.${label}` });
    encode(enc);
    device.queue.submit([enc.finish()]);
    await submitCheckpoint(device, control.signal);
    if (this.k.warm.has(label)) this.cold.delete(label);
    else {
      this.cold.add(label);
      this.k.warm.add(label);
    }
    return performance.now() - t0;
  }

  async run(req: RecommendRequest, control: RunControl = {}): Promise<{ raw: FunnelRaw; bytesRead: number }> {
    const { k } = this;
    const B = this.b as Record<string, GPUBuffer>;
    const U = this.users;
    const I = this.inputs.catalog.count;
    const K = this.inputs.categories;
    const N = FUNNEL.listN;
    const M = FUNNEL.rankK;
    const S = FUNNEL_SLOTS;
    const progress = (message: string, done: number) =>
      control.onProgress?.({ phase: 'run', message, done, total: 4 });
    progress(msg('Recall: U·Vᵀ and top 500 per user…'), 0);
    const done = this.done;
    done.recall ??= await this.stage('recall', control, (enc) => {
      const pass = enc.beginComputePass({ label: 'recommend.recall' });
      encodeDispatches(pass, this.recallList);
      pass.end();
      k.topk.encode(
        enc,
        { rows: U, len: I, k: FUNNEL.recallK },
        { values: B.recallScores!, indices: B.recallIds!, topValues: B.recallValues! },
      );
    });
    progress(msg('Pre-rank: merging the channels and scoring…'), 1);
    done.prerank ??= await this.stage('prerank', control, (enc) => {
      k.candidates.encode(
        enc,
        {
          users: U,
          items: I,
          recallK: FUNNEL.recallK,
          popularK: FUNNEL.popularK,
          recentK: FUNNEL.recentK,
          historyLength: FUNNEL.historyLength,
        },
        RECOMMEND_DATA.beta,
        {
          recall: B.recallIds!,
          popular: B.popular!,
          recentTable: B.recentTable!,
          recentCategory: B.recentCategory!,
          history: B.history!,
          userVecs: B.userVecs!,
          embeddings: B.embeddings!,
          logPop: B.logPop!,
          merged: B.merged!,
          scores: B.prerank!,
        },
      );
      k.topk.encode(
        enc,
        { rows: U, len: S, k: FUNNEL.prerankK },
        { values: B.prerank!, indices: B.pos100!, topValues: B.val100! },
      );
      k.gather.encodeGather(
        enc,
        { users: U, k: FUNNEL.prerankK, width: S },
        B.pos100!,
        B.merged!,
        null,
        B.ids100!,
        null,
      );
    });
    progress(msg('Rank: the MLP scores 100 candidates per user…'), 2);
    done.rank ??= await this.stage('rank', control, (enc) => {
      k.gather.encodeFeatures(
        enc,
        { users: U, k: FUNNEL.prerankK },
        B.ids100!,
        B.userVecs!,
        B.embeddings!,
        B.logPop!,
        B.features!,
      );
      this.ranker.encodeScores(enc, B.features!, B.ids100!, B.rel100!);
      k.topk.encode(
        enc,
        { rows: U, len: FUNNEL.prerankK, k: M },
        { values: B.rel100!, indices: B.pos50!, topValues: B.val50! },
      );
      k.gather.encodeGather(
        enc,
        { users: U, k: M, width: FUNNEL.prerankK },
        B.pos50!,
        B.ids100!,
        B.rel100!,
        B.ids50!,
        B.rel50!,
      );
    });
    progress(msg('Re-rank: four lists and the λ/θ sweep for every user…'), 3);
    const shape = { users: U, m: M, categories: K };
    const rerank = await this.stage('rerank', control, (enc) => {
      k.topk.encode(
        enc,
        { rows: U, len: M, k: N },
        { values: B.rel50!, indices: B.relPicks!, topValues: B.relGains! },
      );
      for (const m of ['mmr', 'dpp', 'calibration'] as const)
        k.rerank[m].encode(
          enc,
          shape,
          { n: N, lambda: req.lambda, theta: req.theta, epsilon: LAB_DPP_EPSILON },
          this.rerankBuffers(B[`${m}.picks`]!, B[`${m}.gains`]!),
        );
      for (const s of SWEPT)
        k.rerank[s.method].encodeSweep(
          enc,
          shape,
          N,
          s.values.map((v) => ({ [s.param]: v })),
          this.rerankBuffers(B[`${s.method}.sweepPicks`]!, B[`${s.method}.sweepGains`]!),
          LAB_DPP_EPSILON,
        );
      const block = U * N * 4;
      let at = 0;
      const append = (src: GPUBuffer, bytes: number) => {
        enc.copyBufferToBuffer(src, 0, B.allPicks!, at, bytes);
        at += bytes;
      };
      append(B.relPicks!, block);
      for (const m of ['mmr', 'dpp', 'calibration']) append(B[`${m}.picks`]!, block);
      for (const s of SWEPT) append(B[`${s.method}.sweepPicks`]!, s.values.length * block);
      k.metrics.encode(
        enc,
        { points: POINTS, users: U, m: M, n: N, categories: K, heldOut: this.inputs.heldOutWidth },
        {
          picks: B.allPicks!,
          items: B.ids50!,
          embeddings: B.embeddings!,
          categories: B.categories!,
          history: B.historyDist!,
          heldOut: B.heldOut!,
          perUser: B.perUser!,
          mean: B.mean!,
        },
      );
    });
    progress(msg('Reading back the selected user and the means…'), 4);
    return { raw: await this.readBack(req, { ...done, rerank }), bytesRead: this.lastBytes };
  }

  private lastBytes = 0;

  private async readBack(req: RecommendRequest, stageMs: FunnelRaw['stageMs']): Promise<FunnelRaw> {
    const { device, readback } = this.k;
    const B = this.b as Record<string, GPUBuffer>;
    const U = this.users;
    const N = FUNNEL.listN;
    const M = FUNNEL.rankK;
    const u = req.user;
    const enc = device.createCommandEncoder({ label: 'recommend.readback' });
    const reads: Array<{ dst: GPUBuffer; bytes: number }> = [];
    const read = (src: GPUBuffer, offset: number, bytes: number) => {
      reads.push({ dst: encodeReadback(enc, readback, src, bytes, offset), bytes });
      return reads.length - 1;
    };
    const merged = read(B.merged!, u * FUNNEL_SLOTS * 4, FUNNEL_SLOTS * 4);
    const ids = read(B.ids50!, u * M * 4, M * 4);
    const rel = read(B.rel50!, u * M * 4, M * 4);
    const picks = CURRENT.map((_, p) => read(B.allPicks!, (p * U + u) * N * 4, N * 4));
    const gains = CURRENT.map((m) =>
      read(m === 'relevance' ? B.relGains! : B[`${m}.gains`]!, u * N * 4, N * 4),
    );
    const userMetrics = CURRENT.map((_, p) => read(B.perUser!, (p * U + u) * 16, 16));
    const mean = read(B.mean!, 0, POINTS * 16);
    device.queue.submit([enc.finish()]);
    const data = await Promise.all(reads.map((r) => readback.read(r.dst, r.bytes)));
    this.lastBytes = reads.reduce((n, r) => n + r.bytes, 0);
    const f32 = (i: number) => new Float32Array(data[i]!);
    const u32 = (i: number) => new Uint32Array(data[i]!);
    const metricsAt = (a: Float32Array, o = 0): ListMetrics => ({
      ndcg10: a[o]!,
      ild: a[o + 1]!,
      coverage: a[o + 2]!,
      kl: a[o + 3]!,
    });
    const means = f32(mean);
    let p = CURRENT.length;
    const sweep = SWEPT.map((s) => s.values.map(() => metricsAt(means, 4 * p++)));
    const raw: FunnelRaw = {
      merged: u32(merged).filter((x) => x !== NO_PICK).length,
      ids: u32(ids),
      rel: f32(rel),
      picks: {} as FunnelRaw['picks'],
      userMetrics: {} as FunnelRaw['userMetrics'],
      sweep,
      baseline: metricsAt(means, 0),
      stageMs,
      coldStages: [...this.cold],
    };
    CURRENT.forEach((m, i) => {
      raw.picks[m] = { picks: u32(picks[i]!), gains: f32(gains[i]!) };
      raw.userMetrics[m] = metricsAt(f32(userMetrics[i]!));
    });
    return raw;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.res.destroy();
    this.ranker.destroy();
  }
}
