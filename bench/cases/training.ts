/**
 * Training family: the BatchNorm lab's step (src/engine/batchnorm) at width 128, depth 4, ReLU, spirals,
 * lr 0.01 — both networks (BN and plain) on the same batch, the per-layer channel statistics and the chosen
 * unit's activations read back, one submit — against its float64 CPU twin (CpuBatchNormEngine). At
 * trainingNetBatches the lab also runs pipelined (GpuBatchNormEngine.run: K steps in one submit, every
 * step's loss and the last step's statistics read back: what the lab does while training), and each
 * network is measured alone (GpuMlp: one step, 8 bytes read back), pipelined (K steps in one command
 * buffer, batches from a BatchRing, only the last loss read) and, at the first of those batches, pipelined
 * the old way (one submit and one batch write per step) for comparison in the same run.
 */
import {
  CpuBatchNormEngine,
  GpuBatchNormEngine,
  type BatchNormLabConfig,
  type StepOptions,
} from '../../src/engine/batchnorm';
import { GpuMlp } from '../../src/engine/nn';
import { ReadbackPool } from '../../src/gpu/readback';
import { CpuMlp, makeBatch, type MlpShape } from '../../src/models/mlp';
import { fitPipelinedSteps, type Predictor } from '../plan';
import { formatMs } from '../stats';
import type { Suite } from '../suite';
import { benchRing, trainSteps, trainStepsPerSubmit } from '../training';
import type { CaseResult } from '../types';

const width = 128;
const depth = 4;
const task = 'spirals' as const;
const lr = 0.01;
const seed = 1;
const activation = 'relu' as const;

export async function trainingCases(s: Suite): Promise<void> {
  const pred = s.predictor(1);
  for (const B of s.p.trainingBatches) {
    const awaitedMs = await labCases(s, pred, B);
    if (!s.p.trainingNetBatches.includes(B)) continue;
    await labRunCase(s, B, awaitedMs);
    const perSubmit = B === s.p.trainingNetBatches[0];
    for (const net of ['bn', 'plain'] as const) await netCases(s, pred, B, net, perSubmit);
  }
  s.note(
    `Training: width ${width}, depth ${depth}, ${activation}, task ${task}, lr ${lr}, Adam. "lab" = one ` +
      'GpuBatchNormEngine.step (both networks, all statistics, the unit activations; what the BatchNorm lab ' +
      `runs per step); "bn"/"plain" = one network alone, reading back loss and accuracy; gpu-pipelined = up to ${s.p.pipelinedSteps} ` +
      'steps in one command buffer (batches from one ring write) before one wait — for the lab GpuBatchNormEngine.run ' +
      "(every step's loss, the last step's statistics), for one network only the last loss; gpu-pipelined-submits = " +
      'the same steps one submit and one batch write each (the pipelined call before the ring). Per-step figures ' +
      'divide by the steps per call.',
  );
  const piped = s.result.cases.filter((c) => c.family === 'training' && c.perStep);
  if (piped.length)
    s.note(
      'Training, pipelined, per step (issue 15 targets: ≤ 30 dispatches per network, ≤ 2 submits per 100 steps, ' +
        '0 buffers; the lab runs both networks and its statistics): ' +
        piped
          .map(
            (c) =>
              `${String(c.params.net)} ${c.variant} batch ${c.size}: ${c.perStep!.dispatches.toFixed(2)} dispatches, ` +
              `${c.perStep!.submitsPer100.toFixed(2)} submits per 100 steps, ${c.perStep!.buffersCreated} buffers, ` +
              `${((c.bytesRead ?? 0) / (c.stepsPerCall ?? 1)).toFixed(2)} bytes read back`,
          )
          .join('; ') +
        '.',
    );
}

/** Per-step counts of a pipelined call of `steps` steps (issue 15's machine-independent targets). */
function perStep(c: CaseResult, steps: number): void {
  if (c.dispatches === undefined) return;
  c.perStep = {
    dispatches: c.dispatches / steps,
    buffersCreated: (c.buffersCreatedPerRun ?? 0) / steps,
    submitsPer100: ((c.submits ?? 0) * 100) / steps,
  };
}

/** The lab pipelined: GpuBatchNormEngine.run of K steps per call (K cut to fit the per-call budget). */
async function labRunCase(s: Suite, B: number, awaitedMs: number | undefined): Promise<void> {
  const config: BatchNormLabConfig = { task, lr, batch: B, depth, width, seed, activation };
  const fit = fitPipelinedSteps(s.p.pipelinedSteps, awaitedMs, s.p.maxPipelinedRunMs);
  const K = fit.steps;
  const g: CaseResult = {
    family: 'training',
    variant: 'gpu-pipelined',
    params: { net: 'lab (BN + plain + stats)', batch: B, width, depth, activation, stepsPerCall: K },
    size: B,
    backend: s.name,
    stepsPerCall: K,
  };
  const spent = s.overBudget();
  if (spent) g.skipped = spent;
  else if (awaitedMs === undefined) g.skipped = 'skipped: the awaited lab step was skipped';
  else if (awaitedMs * K > s.p.maxPipelinedRunMs)
    g.skipped = `skipped: ${K} awaited steps take ${formatMs(awaitedMs * K)}, over the per-call budget`;
  else {
    if (fit.reason) s.note(`Training lab, batch ${B}: ${fit.reason}.`);
    const engine = s.setupTime(
      `GpuBatchNormEngine batch ${B} (run)`,
      () => new GpuBatchNormEngine(s.wrapped, config),
    );
    const o = { steps: K, view: 'train', layer: 0, unit: 0 } as const;
    await s.measure(
      g,
      async () => {
        const r = await engine.run(o);
        if (r.steps.length !== K || !Number.isFinite(r.last.loss.withBN))
          throw new Error(`training lab run: ${r.steps.length} steps, loss ${r.last.loss.withBN}`);
        return {};
      },
      { gpu: true, maxReps: 3 },
    );
    engine.destroy();
    perStep(g, K);
  }
  s.push(g);
}

/** One lab step (GPU engine, then the CPU engine) at batch B; returns the GPU step's median (ms). */
async function labCases(s: Suite, pred: Predictor, B: number): Promise<number | undefined> {
  const stepOptions: StepOptions = { train: true, view: 'train', layer: 0, unit: 0 };
  const config: BatchNormLabConfig = { task, lr, batch: B, depth, width, seed, activation };
  const params = { net: 'lab (BN + plain + stats)', batch: B, width, depth, activation };
  const g: CaseResult = {
    family: 'training',
    variant: 'gpu',
    params,
    size: B,
    backend: s.name,
    stepsPerCall: 1,
  };
  const slow = pred.tooSlow('gpu/lab', B, s.p.maxGpuRunMs);
  if (slow) g.skipped = slow;
  else {
    const engine = s.setupTime(
      `GpuBatchNormEngine batch ${B}`,
      () => new GpuBatchNormEngine(s.wrapped, config),
    );
    await s.measure(g, async () => (await engine.step(stepOptions), {}), { gpu: true });
    engine.destroy();
  }
  pred.record('gpu/lab', B, g.wallMs?.median);
  s.push(g);
  const c: CaseResult = {
    family: 'training',
    variant: 'cpu',
    params,
    size: B,
    backend: 'CPU (JavaScript float64 reference)',
    stepsPerCall: 1,
  };
  const cpuSlow = pred.tooSlow('cpu/lab', B, s.p.maxCpuRunMs);
  if (cpuSlow) c.skipped = cpuSlow;
  else {
    const engine = new CpuBatchNormEngine(config);
    await s.measure(c, async () => (await engine.step(stepOptions), {}), {
      gpu: false,
      maxReps: 5,
      warmup: 1,
    });
  }
  pred.record('cpu/lab', B, c.wallMs?.median);
  s.push(c);
  return g.wallMs?.median;
}

/**
 * One network alone at batch B: awaited GPU step, pipelined GPU steps (one command buffer), optionally the
 * pipelined steps one submit each (`perSubmit`), CPU step.
 */
async function netCases(
  s: Suite,
  pred: Predictor,
  B: number,
  net: 'bn' | 'plain',
  perSubmit: boolean,
): Promise<void> {
  const { p, inst } = s;
  const K = p.pipelinedSteps;
  const shape: MlpShape = { depth, width, batchNorm: net === 'bn', activation };
  const netParams = { net, batch: B, width, depth, activation };
  let step = 0;
  let awaited: CaseResult | null = null;
  const variants = ['gpu', 'gpu-pipelined', ...(perSubmit ? ['gpu-pipelined-submits'] : [])] as const;
  for (const variant of variants) {
    const pipelined = variant !== 'gpu';
    const steps = pipelined ? K : 1;
    const gc: CaseResult = {
      family: 'training',
      variant,
      params: pipelined ? { ...netParams, stepsPerCall: K } : netParams,
      size: B,
      backend: s.name,
      stepsPerCall: steps,
    };
    const key = `${variant}/${net}`;
    // The pipelined call takes about K awaited steps: skip it when those predict a call over its budget.
    const awaitedMs = pipelined ? awaited?.wallMs?.median : undefined;
    const limit = pipelined ? p.maxPipelinedRunMs : p.maxGpuRunMs;
    const netSlow =
      pred.tooSlow(key, B, limit) ??
      (pipelined && awaited?.skipped ? 'skipped: the awaited step was skipped' : null) ??
      (awaitedMs !== undefined && awaitedMs * steps > limit
        ? `skipped: ${steps} awaited steps took ${formatMs(awaitedMs * steps)}, over the ${formatMs(limit)} budget`
        : null);
    if (netSlow) gc.skipped = netSlow;
    else {
      const mlp = s.setupTime(
        `GpuMlp ${net} batch ${B}`,
        () => new GpuMlp(inst.device, shape, B, seed, `bench.training.${net}`),
      );
      const pool = new ReadbackPool(inst.device, `bench.training.${net}`);
      const ring = benchRing(mlp, steps);
      await s.measure(
        gc,
        async () => {
          const call = { task, seed, lr, first: step, steps };
          const r =
            variant === 'gpu-pipelined-submits'
              ? await trainStepsPerSubmit(mlp, pool, call)
              : await trainSteps(mlp, pool, ring, call);
          step += steps;
          if (!Number.isFinite(r.loss)) throw new Error(`training ${net}: the loss is ${r.loss}`);
          return {};
        },
        { gpu: true, poolCount: () => pool.buffersCreated, ...(pipelined ? { maxReps: 3 } : {}) },
      );
      ring.destroy();
      pool.destroy();
      mlp.destroy();
      if (pipelined) perStep(gc, steps);
    }
    pred.record(key, B, gc.wallMs?.median);
    s.push(gc);
    if (!pipelined) awaited = gc;
  }
  const cc: CaseResult = {
    family: 'training',
    variant: 'cpu',
    params: netParams,
    size: B,
    backend: 'CPU (JavaScript float64 reference)',
    stepsPerCall: 1,
  };
  const key = `cpu/${net}`;
  const cpuNetSlow = pred.tooSlow(key, B, p.maxCpuRunMs);
  if (cpuNetSlow) cc.skipped = cpuNetSlow;
  else {
    const mlp = new CpuMlp(shape, seed);
    let cpuStep = 0;
    await s.measure(
      cc,
      async () => {
        mlp.step(makeBatch(task, seed, cpuStep++, B), { lr, train: true });
        return {};
      },
      { gpu: false, maxReps: 5, warmup: 1 },
    );
  }
  pred.record(key, B, cc.wallMs?.median);
  s.push(cc);
}
