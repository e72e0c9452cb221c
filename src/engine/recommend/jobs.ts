/**
 * The recommendation lab's CPU jobs (run in src/engine/cpu-worker.ts): making the synthetic data off the
 * main thread, the whole funnel on the float64 references, and training the ranker with CpuMlp. The worker
 * keeps the last data set, so a re-run with new re-rank settings does not rebuild it.
 */
import {
  makeRecommendInputs,
  type RecommendDataRequest,
  type RecommendInputs,
} from '../../models/recommend-inputs';
import type { RecommendRequest } from './assemble';
import { runRecommendCpu, trainRankerOnCpu, type RankerChoice } from './index';
import type { RecommendResult } from './types';

export type RecommendJob =
  | { kind: 'recommend-inputs'; data: RecommendDataRequest }
  | { kind: 'recommend'; data: RecommendDataRequest; request: RecommendRequest; ranker: RankerChoice }
  | { kind: 'recommend-train'; data: RecommendDataRequest; steps: number };
export type RecommendJobResult =
  | { kind: 'recommend-inputs'; inputs: RecommendInputs }
  | { kind: 'recommend'; result: RecommendResult }
  | { kind: 'recommend-train'; weights: Map<string, Float32Array>; loss: number };

let cached: { key: string; inputs: RecommendInputs } | null = null;

/** The data set of a request, made once per distinct request. */
export function inputsFor(data: RecommendDataRequest): RecommendInputs {
  const key = JSON.stringify([data.seed, data.items, data.users, data.alpha]);
  if (cached?.key !== key) cached = { key, inputs: makeRecommendInputs(data) };
  return cached.inputs;
}

export function runRecommendJob(job: RecommendJob): RecommendJobResult {
  switch (job.kind) {
    case 'recommend-inputs':
      return { kind: 'recommend-inputs', inputs: inputsFor(job.data) };
    case 'recommend':
      return { kind: 'recommend', result: runRecommendCpu(inputsFor(job.data), job.request, job.ranker) };
    case 'recommend-train': {
      const { weights, loss } = trainRankerOnCpu(inputsFor(job.data), job.steps);
      return { kind: 'recommend-train', weights, loss };
    }
  }
}
