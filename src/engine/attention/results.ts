/** Turns a submitted run's readbacks (stages, row stats, views) into an AttentionRunResult. */
import type { ReadbackPool } from '../../gpu/readback';
import type { RowStats } from '../../kernels/attention/spec';
import type { PreparedRun } from './buffers';
import type { EncodedViews } from './views';
import { BYTES, countFullyMaskedRows, type AttentionRunResult, type AttentionStage } from './types';

/** A stage's readback: `bytes` bytes of stage `s` copied into the mappable buffer `dst`. */
export interface StageRead {
  s: AttentionStage;
  bytes: number;
  dst: GPUBuffer;
}

/** The run as encoded: what to read back and what it cost. */
interface EncodedRun {
  path: 'staged' | 'fused';
  /** performance.now() when the call started. */
  start: number;
  dispatches: number;
  submits: number;
  reads: StageRead[];
  statsRead: GPUBuffer | null;
  views: EncodedViews;
}

/** Row stats from the GPU's interleaved [heads][L][2] (max, sum) layout. */
function statsFrom(raw: Float32Array, heads: number, L: number): RowStats {
  const n = heads * L;
  const max = new Float32Array(n);
  const sum = new Float32Array(n);
  const fullyMasked = new Uint8Array(n);
  let fullyMaskedCount = 0;
  for (let r = 0; r < n; r++) {
    max[r] = raw[2 * r]!;
    sum[r] = raw[2 * r + 1]!;
    if (!(sum[r]! > 0)) {
      fullyMasked[r] = 1;
      fullyMaskedCount++;
    }
  }
  return { max, sum, fullyMasked, fullyMaskedCount };
}

/** Maps every readback of `run` and assembles the result. */
export async function collectRun(
  readback: ReadbackPool,
  backend: string,
  p: PreparedRun,
  run: EncodedRun,
): Promise<AttentionRunResult> {
  const { heads, L } = p.shape;
  const statsBytes = heads * L * 2 * BYTES;
  const result: AttentionRunResult = {
    path: run.path,
    backend,
    shape: p.shape,
    scale: p.scale,
    mask: p.mask,
    stages: {},
    fullyMaskedRows: 0,
    elapsedMs: 0,
    bytesRead: 0,
    dispatches: run.dispatches,
    submits: run.submits,
  };
  const { statsRead } = run;
  await Promise.all([
    ...run.reads.map(async ({ s, bytes, dst }) => {
      result.stages[s] = new Float32Array(await readback.read(dst, bytes));
      result.bytesRead += bytes;
    }),
    statsRead &&
      readback.read(statsRead, statsBytes).then((b) => {
        result.stats = statsFrom(new Float32Array(b), heads, L);
        result.bytesRead += statsBytes;
      }),
    run.views.finish(result),
  ]);
  result.fullyMaskedRows = result.stats?.fullyMaskedCount ?? countFullyMaskedRows(p.mask, p.shape);
  result.elapsedMs = performance.now() - run.start;
  return result;
}
