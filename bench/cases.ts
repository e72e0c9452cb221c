/**
 * The benchmark suite, shared by the browser runner (bench/browser-entry.ts) and the Node/Dawn runner
 * (bench/node-entry.ts). DOM-free. The engines run unmodified on an instrumented device (bench/instrument.ts)
 * that counts buffers, dispatches and submits and, with 'timestamp-query', times every compute pass.
 * One module per family in bench/cases/; measurement in bench/suite.ts, sizes in bench/plan.ts, slopes and
 * ratios in bench/derive.ts, the printed report in bench/report.ts. Per case: first-run time, then median
 * and IQR of wall (call → results in JS), encode (→ last submit), gpu wall (→ onSubmittedWorkDone),
 * readback (→ results) and gpu ts; step cases (training, diffusion, induction) also report steps per second.
 */
import { attentionCases } from './cases/attention';
import { diffusionCases } from './cases/diffusion';
import { gpt2Cases } from './cases/gpt2';
import { inductionCases } from './cases/induction';
import { randomCases } from './cases/random';
import { recommendCases } from './cases/recommend';
import { trainingCases } from './cases/training';
import { derive } from './derive';
import { Suite } from './suite';
import { describeQuantisation } from './timestamps';
import type { BenchEnv, BenchOptions, Family, SuiteResult } from './types';

export { formatReport } from './report';
export { FAMILIES } from './types';
export type { AttentionPeer, BenchEnv, BenchOptions, CaseResult, Family, SuiteResult } from './types';

/** The families in the order they run. */
const RUN: Array<[Family, (s: Suite) => Promise<void>]> = [
  ['random', randomCases],
  ['attention', attentionCases],
  ['training', trainingCases],
  ['diffusion', diffusionCases],
  ['recommend', recommendCases],
  ['induction', inductionCases],
  ['gpt2', gpt2Cases],
];

export async function runSuite(env: BenchEnv, options: BenchOptions): Promise<SuiteResult> {
  const s = new Suite(env, options);
  const { name } = s;
  if (env.gpu.info.isFallback) {
    s.note(
      `SOFTWARE ADAPTER (${name}): the WGSL runs on the CPU, mostly slower than plain JavaScript (the nn kernels use a ` +
        'barrier-free family there, so training is about even). These times are not GPU performance; only ratios ' +
        'measured in the same run and the machine-independent counts carry over.',
    );
  }
  s.note(
    s.inst.timestamps
      ? 'GPU time: timestamp queries around every compute pass (gpu ts), plus wall clock submit → onSubmittedWorkDone (gpu wall).'
      : 'No timestamp-query on this device: GPU time is wall clock from submit to onSubmittedWorkDone (gpu wall).',
  );
  if (options.timeBudgetS)
    s.note(
      `Time budget: cases starting after ${options.timeBudgetS} s were skipped (each skipped row says so).`,
    );
  for (const [family, run] of RUN) if (s.wanted(family)) await run(s);
  s.inst.destroy();
  if (s.inst.timestamps) {
    const q = s.inst.quantum.summary();
    s.result.timestampQuantisation = q;
    s.note(
      `Timestamps ${describeQuantisation(q)}; asked for: ${env.timestampRequest ?? 'nothing (runner default)'}.`,
    );
    const rejected = s.result.cases.reduce((a, c) => a + (c.timestamps?.rejected ?? 0), 0);
    if (rejected > 0)
      s.note(
        `${rejected} timestamp pairs rejected (zero, reversed or over 60 s); a call whose every pair was ` +
          'rejected has no gpu ts (not 0). Per case: timestamps.rejected in the JSON.',
      );
  }
  derive(s.result);
  return s.result;
}
