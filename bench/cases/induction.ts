/**
 * Induction family (issue 13): training steps of the induction model (src/engine/induction) — GpuInductionTrainer
 * pipelined (K steps submitted back to back, one loss readback) and awaited (one step, then its loss), against
 * the float64 CpuInductionTrainer. Per-step time and steps/s; dispatches and submits per step from the trainer.
 */
import {
  CpuInductionTrainer,
  GpuInductionTrainer,
  INDUCTION_TRAINING,
} from '../../src/engine/induction/index';
import { INDUCTION_DATA } from '../../src/models/induction/data';
import { INDUCTION_CONFIG } from '../../src/models/induction/params';
import { fitPipelinedSteps } from '../plan';
import type { Outcome, Suite } from '../suite';
import type { CaseResult } from '../types';

const seed = 1;

/** What every induction case shares (the matching key of derive.ts and tables.mjs). */
export const INDUCTION_PARAMS = {
  layers: INDUCTION_CONFIG.layers,
  heads: INDUCTION_CONFIG.heads,
  dModel: INDUCTION_CONFIG.dModel,
  batch: INDUCTION_TRAINING.batch,
  T: INDUCTION_DATA.T,
  optimizer: 'adam',
} as const;

/**
 * `steps` training steps submitted back to back, then one readLosses(): the measured call of both GPU cases
 * (steps = 1 is the awaited step). Throws unless every step's loss came back finite. The outcome counts the
 * trainer's dispatches and submits (the + 1 submit is the loss readback) and the 8 bytes per step read; `losses`
 * are the steps' losses.
 */
export async function inductionSteps(
  trainer: GpuInductionTrainer,
  steps: number,
): Promise<Outcome & { losses: Float32Array }> {
  if (!(Number.isInteger(steps) && steps >= 1))
    throw new RangeError(`inductionSteps needs a whole number of steps ≥ 1, got ${steps}`);
  for (let k = 0; k < steps; k++) trainer.trainStep();
  const { losses } = await trainer.readLosses();
  if (losses.length !== steps) throw new Error(`induction: ${losses.length} losses for ${steps} steps`);
  for (const loss of losses)
    if (!Number.isFinite(loss)) throw new Error(`induction: a step's loss is ${loss} (step ${trainer.step})`);
  return {
    dispatches: steps * trainer.dispatchesPerStep,
    submits: steps * trainer.submitsPerStep + 1,
    bytesRead: 8 * steps,
    losses,
  };
}

/** Whether the instrumented device counted what the trainer says (a mismatch is printed, not hidden). */
function countCheck(c: CaseResult): string {
  const same = c.dispatches === c.engineDispatches && c.submits === c.engineSubmits;
  return (
    `counted ${c.dispatches} dispatches, ${c.submits} submits per call ` +
    `${same ? '=' : '≠'} trainer's ${c.engineDispatches}, ${c.engineSubmits} (+1 submit: the loss readback)`
  );
}

export async function inductionCases(s: Suite): Promise<void> {
  const planned = s.p.inductionPipelinedSteps;
  let trainer: GpuInductionTrainer | null = null;
  let dispatchesPerStep = 0;
  let submitsPerStep = 0;
  let awaitedMs: number | undefined;
  // The awaited step first: its time sizes the pipelined call (cheap on a GPU, so a budgeted run loses little).
  for (const variant of ['gpu-step', 'gpu-pipelined'] as const) {
    const fit = variant === 'gpu-step' ? null : fitPipelinedSteps(planned, awaitedMs, s.p.maxGpuRunMs);
    const steps = fit?.steps ?? 1;
    const g: CaseResult = {
      family: 'induction',
      variant,
      params: { ...INDUCTION_PARAMS },
      size: INDUCTION_PARAMS.batch,
      backend: s.name,
      stepsPerCall: steps,
    };
    const spent = s.overBudget();
    if (spent) g.skipped = spent;
    else {
      trainer ??= s.setupTime(
        'GpuInductionTrainer',
        () => new GpuInductionTrainer(s.wrapped.device, { seed, label: 'bench.induction' }),
      );
      const t = trainer;
      dispatchesPerStep = t.dispatchesPerStep;
      submitsPerStep = t.submitsPerStep;
      g.params = {
        ...g.params,
        ...(steps > 1 ? { stepsPerCall: steps } : {}),
        dispatchesPerStep,
        submitsPerStep,
      };
      if (fit?.reason) s.note(`Induction gpu-pipelined: ${fit.reason}.`);
      await s.measure(g, () => inductionSteps(t, steps), { gpu: true });
      g.check = countCheck(g);
    }
    if (variant === 'gpu-step') awaitedMs = g.wallMs?.median;
    s.push(g);
  }
  trainer?.destroy();

  const c: CaseResult = {
    family: 'induction',
    variant: 'cpu',
    params: { ...INDUCTION_PARAMS },
    size: INDUCTION_PARAMS.batch,
    backend: 'CPU (JavaScript float64 reference)',
    stepsPerCall: 1,
  };
  const spent = s.overBudget();
  if (spent) c.skipped = spent;
  else {
    const cpu = new CpuInductionTrainer({ seed });
    await s.measure(
      c,
      async () => {
        const r = cpu.trainStep();
        if (!Number.isFinite(r.loss)) throw new Error(`induction cpu: the loss is ${r.loss}`);
        return {};
      },
      { gpu: false, maxReps: 5, warmup: 1 },
    );
  }
  s.push(c);

  s.note(
    `Induction: the induction model's training step (attention-only, ${INDUCTION_PARAMS.layers} layers × ` +
      `${INDUCTION_PARAMS.heads} heads, d_model ${INDUCTION_PARAMS.dModel}, batch ${INDUCTION_PARAMS.batch}, ` +
      `T ${INDUCTION_PARAMS.T}, Adam with warm-up). gpu-pipelined = K GpuInductionTrainer.trainStep() ` +
      `submitted back to back and one readLosses() (K = ${planned}, fewer when K awaited steps exceed the ` +
      'per-call budget: training with the loss read at display rate); ' +
      'gpu-step = one step and its readLosses() (the awaited cost); cpu = CpuInductionTrainer.trainStep() ' +
      `(float64). Per-step time = wall per call ÷ steps per call` +
      (dispatchesPerStep
        ? `; the trainer encodes ${dispatchesPerStep} dispatches and ${submitsPerStep} submit per step. `
        : '. ') +
      'Time for the induction score to pass 0.8 is not measured here: it ' +
      'comes from `npm run train:induction` (induction.manifest.json: training.passedTargetAtStep, trainSeconds).',
  );
}
