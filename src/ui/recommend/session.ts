/**
 * The Recommendation lab's run: resolve the backend, fit the sizes to it (a software adapter and the CPU
 * run fewer users and items, with a notice), make the synthetic data in the worker, pick the ranker's
 * weights (shipped, or trained in this page: WGSL on the GPU, CpuMlp on the CPU), then run the funnel.
 * The session keeps the data set and trained weights of the last request, so moving λ only re-ranks.
 */
import { msg, str } from '@lit/localize';
import {
  RANKER_TRAIN_STEPS,
  RecommendEngine,
  type RankerChoice,
  type RecommendResult,
} from '../../engine/recommend';
import type { RecommendInputs } from '../../models/recommend-inputs';
import { SHIPPED_RANKER, shippedRankerWeights } from '../../models/recommend-ranker';
import type { RecommendState } from '../../state/recommend';
import type { BackendChoice } from '../../state/store';
import { formatCount } from '../../util/format';
import { resolveBackend, type BackendTag } from '../common/backend';
import type { RunControlFor } from '../common/lab-run';
import type { Notice } from '../common/notice';
import type { Runtime } from '../common/runtime';
import { fitSizes } from './sizes';

export interface RecommendRun {
  result: RecommendResult;
  /** English, as the export records it; the badge names `backend` in the interface language. */
  backendLabel: string;
  backend: BackendTag;
  notices: Notice[];
}

export class RecommendSession {
  private inputs: { key: string; value: RecommendInputs } | null = null;
  private trained = new Map<string, Map<string, Float32Array>>();
  private readonly shipped = shippedRankerWeights();

  async run(
    runtime: Runtime,
    params: RecommendState,
    choice: BackendChoice,
    control: RunControlFor,
  ): Promise<RecommendRun> {
    const backend = await resolveBackend(runtime, choice);
    const where = backend.kind === 'cpu' ? 'cpu' : backend.ctx.info.isFallback ? 'software' : 'gpu';
    const fitted = fitSizes(params, where);
    const { data, user } = fitted;
    const notices: Notice[] = fitted.notices;
    if (backend.kind === 'cpu' && backend.notice) notices.unshift(backend.notice);
    const key = JSON.stringify([data.seed, data.items, data.users, data.alpha]);
    const request = { user, method: params.method, lambda: params.lambda, theta: params.theta };
    const progress = (message: string) => control.onProgress?.({ phase: 'run', message, done: 0, total: 0 });
    if (backend.kind === 'cpu') {
      let ranker = this.shippedChoice();
      if (params.ranker === 'trained') {
        let weights = this.trained.get(`cpu:${key}`);
        if (!weights) {
          progress(msg(str`Training the ranker on the CPU (${RANKER_TRAIN_STEPS} Adam steps)…`));
          weights = (
            await runtime.cpu.run(
              { kind: 'recommend-train', data, steps: RANKER_TRAIN_STEPS },
              control.signal,
            )
          ).weights;
          this.trained.set(`cpu:${key}`, weights);
        }
        ranker = { weights, kind: 'trained', trainSteps: RANKER_TRAIN_STEPS };
      }
      progress(msg(str`Running the funnel for ${formatCount(data.users)} users on the CPU reference…`));
      const job = await runtime.cpu.run({ kind: 'recommend', data, request, ranker }, control.signal);
      return { result: job.result, backendLabel: backend.label, backend: backend.tag, notices };
    }
    if (this.inputs?.key !== key) {
      progress(msg(str`Making ${formatCount(data.items)} items and ${formatCount(data.users)} users…`));
      const job = await runtime.cpu.run({ kind: 'recommend-inputs', data }, control.signal);
      this.inputs = { key, value: job.inputs };
    }
    const inputs = this.inputs.value;
    const engine = runtime.engine(backend.ctx, 'recommend', (c) => new RecommendEngine(c));
    let ranker = this.shippedChoice();
    if (params.ranker === 'trained') {
      let weights = this.trained.get(`gpu:${key}`);
      if (!weights) {
        progress(msg(str`Training the ranker in WGSL (${RANKER_TRAIN_STEPS} Adam steps)…`));
        weights = (await engine.train(inputs, this.shipped, RANKER_TRAIN_STEPS, control)).weights;
        this.trained.set(`gpu:${key}`, weights);
      }
      ranker = { weights, kind: 'trained', trainSteps: RANKER_TRAIN_STEPS };
    }
    const result = await engine.run(inputs, request, ranker, control);
    return { result, backendLabel: backend.label, backend: backend.tag, notices };
  }

  private shippedChoice(): RankerChoice {
    return { weights: this.shipped, kind: 'shipped', trainSteps: SHIPPED_RANKER.steps };
  }
}
