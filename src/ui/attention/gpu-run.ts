/**
 * One GPU run of the lab: choose the staged or fused path (auto: staged while its four [heads][L][L]
 * stages fit this page's budget and L ≤ 1024), then read back every stage up to L = 256, or keep the
 * stages on the GPU for pooled views above it (fused: the pass also writes the pooled map's partials).
 */
import {
  matrixStageBytes,
  type AttentionEngine,
  type AttentionRunResult,
  type AttentionStage,
} from '../../engine/attention';
import { msg, str } from '@lit/localize';
import type { RunControl } from '../../gpu/compute';
import type { AttentionState } from '../../state/attention';
import { formatBytes } from '../../util/format';
import type { Notice } from '../common/notice';
import type { Prepared } from './model';
import { ALL_STAGES, AUTO_STAGED_MAX_L, FULL_MAX_L, POOL_PIX, STAGED_BUDGET_BYTES } from './stages';

interface GpuRun {
  run: AttentionRunResult;
  full: boolean;
  available: ReadonlySet<AttentionStage>;
  notices: Notice[];
}

/** Why the staged path cannot run this shape (the engine's limits, or this page's memory budget). */
function stagedLimit(engine: AttentionEngine, prepared: Prepared): Error | null {
  const { shape } = prepared.inputs;
  const bytes = 4 * matrixStageBytes(shape);
  const { heads, L } = shape;
  const size = formatBytes(bytes);
  const budget = formatBytes(STAGED_BUDGET_BYTES);
  return (
    engine.stagedLimit(shape) ??
    (bytes > STAGED_BUDGET_BYTES
      ? new RangeError(
          msg(
            str`The staged path keeps four ${heads}×${L}×${L} f32 stages (${size}), over this page's staged budget of ${budget} of GPU memory; choose the fused (or auto) path, or fewer heads or a smaller L.`,
          ),
        )
      : null)
  );
}

export async function runOnGpu(
  engine: AttentionEngine,
  prepared: Prepared,
  choice: AttentionState['path'],
  control: RunControl,
): Promise<GpuRun> {
  const { inputs, mask, scale, bias } = prepared;
  const { L } = inputs.shape;
  const notices: Notice[] = [];
  const limit = stagedLimit(engine, prepared);
  let path: 'staged' | 'fused' = choice === 'auto' ? 'staged' : choice;
  if (choice === 'auto' && (limit || L > AUTO_STAGED_MAX_L)) {
    path = 'fused';
    const reason = limit?.message;
    notices.push(() =>
      limit
        ? msg(str`Path auto chose fused: ${reason}`)
        : msg(
            str`Path auto chose fused for L > ${AUTO_STAGED_MAX_L}: the score stages are not materialised.`,
          ),
    );
  }
  if (path === 'staged' && limit) throw limit;
  const options = { mask, scale, bias };
  const full = L <= FULL_MAX_L;
  let run: AttentionRunResult;
  if (path === 'staged') {
    run = full
      ? await engine.runStaged(inputs, { ...options, stages: ALL_STAGES }, control)
      : await engine.runStaged(
          inputs,
          { ...options, stages: ['output'], materialize: ['scores', 'scaled', 'masked', 'weights'] },
          control,
        );
  } else if (full) {
    const rect = { row0: 0, col0: 0, rows: L, cols: L };
    run = await engine.runFused(inputs, { ...options, window: { rect } }, control);
    run.stages.weights = run.window!.data;
  } else {
    // The overview's pooled map comes from this pass (its per-row partials; no second Q Kᵀ): the
    // views' pool() calls for either mode then only reduce those partials.
    run = await engine.runFused(
      inputs,
      { ...options, pool: { rows: POOL_PIX, cols: POOL_PIX, mode: 'max' } },
      control,
    );
  }
  const available = new Set<AttentionStage>(path === 'staged' ? ALL_STAGES : ['weights', 'output']);
  return { run, full, available, notices };
}
