/**
 * Training family: the BatchNorm lab's step (src/engine/batchnorm) at width 128, depth 4, ReLU, spirals,
 * lr 0.01 — both networks (BN and plain) on the same batch, the per-layer channel statistics and the chosen
 * unit's activations read back, one submit — against its float64 CPU twin (CpuBatchNormEngine). At
 * trainingNetBatches each network is also measured alone (GpuMlp: one step, loss and accuracy read back,
 * 8 bytes) and pipelined (K steps submitted back to back, only the last loss read: the throughput when the
 * charts read at display rate).
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
import type { Predictor } from '../plan';
import { formatMs } from '../stats';
import type { Suite } from '../suite';
import { trainSteps } from '../training';
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
    await labCases(s, pred, B);
    if (!s.p.trainingNetBatches.includes(B)) continue;
    for (const net of ['bn', 'plain'] as const) await netCases(s, pred, B, net);
  }
  s.note(
    `Training: width ${width}, depth ${depth}, ${activation}, task ${task}, lr ${lr}, Adam. "lab" = one ` +
      'GpuBatchNormEngine.step (both networks, all statistics, the unit activations; what the BatchNorm lab ' +
      `runs per step); "bn"/"plain" = one network alone, reading back loss and accuracy; gpu-pipelined = ${s.p.pipelinedSteps} ` +
      'steps encoded back to back before one wait, only the last loss read (per-step figures divide by the steps per call).',
  );
  const piped = s.result.cases.filter((c) => c.family === 'training' && c.perStep);
  if (piped.length)
    s.note(
      'Training, pipelined, per step of one network (issue 15 targets: ≤ 30 dispatches, ≤ 2 submits per 100 steps, ' +
        '0 buffers): ' +
        piped
          .map(
            (c) =>
              `${String(c.params.net)} batch ${c.size}: ${c.perStep!.dispatches} dispatches, ` +
              `${c.perStep!.submitsPer100} submits per 100 steps, ${c.perStep!.buffersCreated} buffers`,
          )
          .join('; ') +
        '.',
    );
}

/** One lab step (GPU engine, then the CPU engine) at batch B. */
async function labCases(s: Suite, pred: Predictor, B: number): Promise<void> {
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
}

/** One network alone at batch B: awaited GPU step, pipelined GPU steps, CPU step. */
async function netCases(s: Suite, pred: Predictor, B: number, net: 'bn' | 'plain'): Promise<void> {
  const { p, inst } = s;
  const K = p.pipelinedSteps;
  const shape: MlpShape = { depth, width, batchNorm: net === 'bn', activation };
  const netParams = { net, batch: B, width, depth, activation };
  let step = 0;
  let awaited: CaseResult | null = null;
  for (const pipelined of [false, true]) {
    const steps = pipelined ? K : 1;
    const variant = pipelined ? 'gpu-pipelined' : 'gpu';
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
      await s.measure(
        gc,
        async () => {
          const r = await trainSteps(mlp, pool, { task, seed, lr, first: step, steps });
          step += steps;
          if (!Number.isFinite(r.loss)) throw new Error(`training ${net}: the loss is ${r.loss}`);
          return {};
        },
        { gpu: true, poolCount: () => pool.buffersCreated, ...(pipelined ? { maxReps: 3 } : {}) },
      );
      pool.destroy();
      mlp.destroy();
      if (pipelined && gc.dispatches !== undefined) {
        gc.perStep = {
          dispatches: gc.dispatches / steps,
          buffersCreated: (gc.buffersCreatedPerRun ?? 0) / steps,
          submitsPer100: ((gc.submits ?? 0) * 100) / steps,
        };
      }
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
