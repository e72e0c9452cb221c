/**
 * The Random lab's run: resolve the backend, then draw on the GPU engine or on the CPU reference (in the
 * worker, capped at MAX_COUNT_CPU values with a notice).
 */
import { msg, str } from '@lit/localize';
import { RandomEngine, type RandomResult } from '../../engine/random';
import { MAX_COUNT_CPU } from '../../kernels/random/spec';
import type { BackendChoice } from '../../state/store';
import type { RandomState } from '../../state/random';
import { formatCount } from '../../util/format';
import { resolveBackend, type BackendTag } from '../common/backend';
import type { RunControlFor } from '../common/lab-run';
import type { Notice } from '../common/notice';
import type { Runtime } from '../common/runtime';

export interface RandomRun {
  result: RandomResult;
  /** English, as exports record it; the badge names `backend` in the interface language. */
  backendLabel: string;
  backend: BackendTag;
  /** Set when the CPU ran fewer samples than asked for. */
  reducedFrom?: number;
  notice?: Notice;
}

export async function runRandom(
  runtime: Runtime,
  params: RandomState,
  choice: BackendChoice,
  control: RunControlFor,
): Promise<RandomRun> {
  const request = { transform: params.transform, seed: params.seed, count: params.count, bins: params.bins };
  const backend = await resolveBackend(runtime, choice);
  if (backend.kind === 'gpu') {
    const engine = runtime.engine(backend.ctx, 'random', (c) => new RandomEngine(c));
    return { result: await engine.run(request, control), backendLabel: backend.label, backend: backend.tag };
  }
  const count = Math.min(params.count, MAX_COUNT_CPU);
  control.onProgress?.({
    phase: 'run',
    message: msg(str`Drawing ${formatCount(count)} values on the CPU reference…`),
    done: 0,
    total: 0,
  });
  const job = await runtime.cpu.run({ kind: 'random', params: { ...request, count } }, control.signal);
  return {
    result: job.result,
    backendLabel: backend.label,
    backend: backend.tag,
    ...(count < params.count ? { reducedFrom: params.count } : {}),
    ...(backend.notice ? { notice: backend.notice } : {}),
  };
}
