/** The text report both runners print, and the one-line progress message per case. */
import { paramsKey, SIZE_KEY } from './derive';
import { formatBytes, formatMs, type Stat } from './stats';
import { describeQuantisation } from './timestamps';
import { FAMILIES, type CaseResult, type SuiteResult } from './types';

function stat(s: Stat | null | undefined): string {
  if (!s) return '—';
  return `${formatMs(s.median)} [${formatMs(s.q1)}–${formatMs(s.q3)}]`;
}

export function caseLine(c: CaseResult): string {
  const head = `${c.family.padEnd(9)} ${c.variant.padEnd(10)} ${paramsKey(c.params, '').padEnd(40)}`;
  if (c.skipped) return `${head} ${c.skipped}`;
  return `${head} median ${stat(c.wallMs)} (${c.reps} runs) on ${c.backend}`;
}

/** The text report both runners print. */
export function formatReport(r: SuiteResult): string {
  const lines: string[] = [];
  const bar = '='.repeat(100);
  lines.push(bar);
  lines.push(`Kernelscope benchmark — ${r.runner} — ${r.date}`);
  lines.push(`Adapter: ${r.adapter.name}${r.adapter.description ? ` — ${r.adapter.description}` : ''}`);
  lines.push(`Host: ${r.host}`);
  lines.push(
    `Options: ${r.options.quick ? '--quick' : 'full'}${r.options.filter ? ` --filter=${r.options.filter}` : ''}`,
  );
  if (r.timestampQuantisation)
    lines.push(
      `GPU timestamps: ${describeQuantisation(r.timestampQuantisation)}` +
        (r.timestampRequest ? `; asked for: ${r.timestampRequest}` : ''),
    );
  if (r.adapter.isFallback) {
    lines.push('');
    lines.push('!'.repeat(100));
    lines.push(`!! SOFTWARE ADAPTER: ${r.adapter.name}`);
    lines.push(
      '!! WGSL runs on the CPU here, mostly slower than plain JavaScript. The times below are NOT GPU',
    );
    lines.push('!! performance. Compare only ratios from this run and the machine-independent counts.');
    lines.push('!'.repeat(100));
  }
  lines.push(bar);
  lines.push('');
  lines.push('Engine construction (pipeline creation, excluded from the runs):');
  for (const s of r.setup) lines.push(`  ${s.what.padEnd(18)} ${formatMs(s.ms)}`);
  lines.push('');
  const label = `[${r.adapter.name}]`;
  lines.push(
    'Times: median [IQR]. wall = call → results in JS; encode = call → submit; gpu wall = submit → ' +
      'onSubmittedWorkDone; readback = done → results; gpu ts = timestamp queries.',
  );
  lines.push(
    'Per call: dispatches / submits / bytes read back / GPU buffers created in steady state (engine readback-pool delta).',
  );
  for (const family of FAMILIES) {
    const cs = r.cases.filter((c) => c.family === family);
    if (cs.length === 0) continue;
    lines.push('');
    lines.push(`── ${family} ${'─'.repeat(90 - family.length)}`);
    for (const c of cs) {
      const who = c.variant === 'cpu' ? '[CPU JS]' : c.variant === 'tfjs' ? `[${c.backend}]` : label;
      const head = `${c.variant.padEnd(10)} ${paramsKey(c.params, '').padEnd(44)}`;
      if (c.skipped) {
        lines.push(`${head} ${c.skipped}`);
        continue;
      }
      const warm = c.warmupCalls !== undefined ? `  warm-up ${c.warmupCalls}× ${formatMs(c.warmupMs)}` : '';
      lines.push(
        `${head} wall ${stat(c.wallMs)}  first ${formatMs(c.firstRunMs)}${warm}  n=${c.reps}  ${who}`,
      );
      const parts: string[] = [];
      if (c.encodeMs) parts.push(`encode ${stat(c.encodeMs)}`);
      if (c.gpuWallMs) parts.push(`gpu wall ${stat(c.gpuWallMs)}`);
      if (c.readbackMs) parts.push(`readback ${stat(c.readbackMs)}`);
      if (c.gpuTimestampMs) parts.push(`gpu ts ${stat(c.gpuTimestampMs)}`);
      if (parts.length) lines.push(`${''.padEnd(11)}${parts.join('  ')}`);
      if (c.stepsPerSecond !== undefined)
        lines.push(
          `${''.padEnd(11)}${fmtRate(c.stepsPerSecond)} steps/s (wall)` +
            (c.stepsPerSecondGpuTs !== undefined
              ? `, ${fmtRate(c.stepsPerSecondGpuTs)} steps/s from GPU timestamps alone`
              : '') +
            ((c.stepsPerCall ?? 1) > 1 ? `; ${c.stepsPerCall} steps per call, counts below per call` : ''),
        );
      const counts: string[] = [];
      if (c.dispatches !== undefined) counts.push(`${fmtN(c.dispatches)} dispatches`);
      if (c.submits !== undefined) counts.push(`${fmtN(c.submits)} submits`);
      if (c.engineDispatches !== undefined)
        counts.push(`(engine says ${c.engineDispatches} dispatches, ${c.engineSubmits} submits)`);
      if (c.bytesRead !== undefined) counts.push(`${formatBytes(c.bytesRead)} read back`);
      if (c.buffersCreatedPerRun !== undefined)
        counts.push(
          `${fmtN(c.buffersCreatedPerRun)} buffers created/run (readback pool ${fmtN(c.readbackPoolCreatedPerRun ?? 0)})`,
        );
      if (c.bytesToReadback !== undefined && c.bytesToReadback !== c.bytesRead)
        counts.push(`${formatBytes(c.bytesToReadback)} copied to mappable buffers`);
      if (c.check) counts.push(c.check);
      if (c.timestamps && c.timestamps.rejected > 0)
        counts.push(
          `${c.timestamps.rejected} of ${c.timestamps.pairs} timestamp pairs rejected` +
            (c.timestamps.callsWithoutTime ? ` (${c.timestamps.callsWithoutTime} calls without gpu ts)` : ''),
        );
      if (counts.length) lines.push(`${''.padEnd(11)}${counts.join(', ')}`);
      if (c.perStep)
        lines.push(
          `${''.padEnd(11)}per step: ${fmtN(c.perStep.dispatches)} dispatches, ${fmtN(c.perStep.submitsPer100)} submits per 100 steps, ` +
            `${fmtN(c.perStep.buffersCreated)} buffers created (targets ≤ 30, ≤ 2, 0)`,
        );
      if (c.buffersCreatedLabels)
        lines.push(`${''.padEnd(11)}buffers created in the last run: ${c.buffersCreatedLabels.join(', ')}`);
    }
  }
  lines.push('');
  lines.push('Growth (log-log slope of median wall time against size):');
  for (const g of r.growth) {
    lines.push(
      `  ${g.family.padEnd(9)} ${g.variant.padEnd(10)} ${g.params.padEnd(44)} slope ${g.slope === null ? '—' : g.slope.toFixed(2)} over ${g.sizes.join(', ')}`,
    );
  }
  lines.push('');
  lines.push(`Ratios of median wall times (same run, ${r.adapter.name}; > 1 means the first is slower):`);
  for (const q of r.ratios) {
    lines.push(
      `  ${q.family.padEnd(9)} ${q.what.padEnd(24)} ${SIZE_KEY[q.family]}=${String(q.size).padEnd(8)} ${q.params.padEnd(34)} ${q.ratio.toFixed(2)}×`,
    );
  }
  lines.push('');
  for (const n of r.notes) lines.push(`Note: ${n}`);
  return lines.join('\n');
}

function fmtRate(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(2);
}

function fmtN(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}
