/**
 * `npm run train:diffusion -- <dataset> --steps N --compare`: trains one dataset's ε-MLP with the WebGPU
 * trainer (src/engine/denoiser-train) and the float64 TypeScript trainer (trainMlp) from the same settings
 * and seed (MLP_TRAINING, N steps), writes no file, and prints how far apart they end: the relative
 * difference of the final reported loss (the mean over the last 100 steps), the largest relative loss
 * difference over all reports, and the largest |parameter difference| next to the largest |parameter|.
 */
import { trainMlpGpu } from '../src/engine/denoiser-train';
import {
  datasetTraining,
  parameterLayout,
  trainMlp,
  type MLP_DATASETS,
  type MlpConfig,
} from '../src/models/mlp-denoiser';

type Dataset = (typeof MLP_DATASETS)[number];

export interface TrainerComparison {
  steps: number;
  gpuLoss: number;
  cpuLoss: number;
  /** |gpu − cpu| / cpu of the final reported loss. */
  finalLossRel: number;
  /** The largest |gpu − cpu| / cpu over every report (one per 100 steps). */
  maxLossRel: number;
  maxParamDiff: number;
  /** Where the largest parameter difference is, e.g. "blocks[1].w[517]". */
  maxParamAt: string;
  maxParam: number;
  gpuSeconds: number;
  cpuSeconds: number;
}

/** The tensor and index of flat parameter k. */
function parameterName(c: MlpConfig, k: number): string {
  const L = parameterLayout(c);
  const spans: Array<[string, number, number]> = [
    ['wIn', L.wIn, L.H * L.E],
    ['bIn', L.bIn, L.H],
    ...L.blocks.flatMap((b, i): Array<[string, number, number]> => [
      [`blocks[${i}].w`, b.w, L.H * L.H],
      [`blocks[${i}].b`, b.b, L.H],
    ]),
    ['wOut', L.wOut, c.dim * L.H],
    ['bOut', L.bOut, c.dim],
  ];
  const span = spans.find(([, at, n]) => k >= at && k < at + n);
  return span ? `${span[0]}[${k - span[1]}]` : `param[${k}]`;
}

export async function compareTrainers(
  device: GPUDevice,
  kind: Dataset,
  steps: number | undefined,
  log: (line: string) => void,
): Promise<TrainerComparison> {
  const options = datasetTraining(kind, steps);
  const every = Math.min(100, options.steps);
  const progress = (who: string) => {
    const start = performance.now();
    let last = start;
    return (step: number, loss: number) => {
      const now = performance.now();
      if (step === options.steps || now - last > 15_000) {
        const rate = step / ((now - start) / 1000);
        log(
          `${kind} ${who}: step ${step}/${options.steps}, loss ${loss.toFixed(6)}, ${rate.toFixed(1)} steps/s`,
        );
        last = now;
      }
    };
  };
  let t0 = performance.now();
  const gpu = await trainMlpGpu(device, { ...options, every, onProgress: progress('GPU') });
  const gpuSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const cpu = trainMlp({ ...options, every, onProgress: progress('float64') });
  const cpuSeconds = (performance.now() - t0) / 1000;
  if (gpu.losses.length !== cpu.losses.length)
    throw new Error(`loss reports differ in number: GPU ${gpu.losses.length}, float64 ${cpu.losses.length}`);
  let maxLossRel = 0;
  gpu.losses.forEach((l, i) => {
    maxLossRel = Math.max(maxLossRel, Math.abs(l - cpu.losses[i]!) / cpu.losses[i]!);
  });
  let maxParamDiff = 0;
  let at = 0;
  let maxParam = 0;
  for (let k = 0; k < cpu.params.length; k++) {
    const d = Math.abs(gpu.params[k]! - cpu.params[k]!);
    if (d > maxParamDiff) [maxParamDiff, at] = [d, k];
    maxParam = Math.max(maxParam, Math.abs(cpu.params[k]!), Math.abs(gpu.params[k]!));
  }
  const gpuLoss = gpu.losses.at(-1)!;
  const cpuLoss = cpu.losses.at(-1)!;
  return {
    steps: options.steps,
    gpuLoss,
    cpuLoss,
    finalLossRel: Math.abs(gpuLoss - cpuLoss) / cpuLoss,
    maxLossRel,
    maxParamDiff,
    maxParamAt: parameterName(cpu.config, at),
    maxParam,
    gpuSeconds,
    cpuSeconds,
  };
}

/** The lines `--compare` prints (tests/node/compare-trainers.node.ts parses the `compare:` line). */
export function formatComparison(kind: string, adapter: string, c: TrainerComparison): string[] {
  return [
    `${kind}: ${c.steps} steps on ${adapter} (${c.gpuSeconds.toFixed(0)} s) and in float64 TypeScript (${c.cpuSeconds.toFixed(0)} s)`,
    `${kind}: final loss (mean of the last ${Math.min(100, c.steps)} steps) GPU ${c.gpuLoss.toPrecision(9)}, float64 ${c.cpuLoss.toPrecision(9)}`,
    `compare: ${JSON.stringify({ dataset: kind, adapter, ...c })}`,
    `${kind}: final loss relative difference ${c.finalLossRel.toExponential(2)} (largest over all reports ` +
      `${c.maxLossRel.toExponential(2)}); max |parameter difference| ${c.maxParamDiff.toExponential(2)} at ` +
      `${c.maxParamAt}; largest |parameter| ${c.maxParam.toPrecision(3)}`,
  ];
}
