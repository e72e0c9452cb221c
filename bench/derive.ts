/** Growth slopes and ratios derived from the medians of one run, and the parameter keys they group by. */
import { logLogSlope } from './stats';
import type { CaseResult, Family, SuiteResult } from './types';

export function paramsKey(params: CaseResult['params'], omit: string): string {
  return Object.entries(params)
    .filter(([k]) => k !== omit && k !== 'pool')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export const SIZE_KEY: Record<Family, string> = {
  random: 'count',
  attention: 'L',
  training: 'batch',
  diffusion: 'particles',
  recommend: 'items',
  induction: 'batch',
  gpt2: 'T',
};

/** Median wall time of one step of a step case (a call takes stepsPerCall steps). */
export function perStepMs(c: CaseResult): number | undefined {
  return c.wallMs ? c.wallMs.median / (c.stepsPerCall ?? 1) : undefined;
}

/** The induction cases' shared parameters (the model and batch), without the GPU-only counts. */
export function inductionModelKey(c: CaseResult): string {
  const { stepsPerCall: _k, dispatchesPerStep: _d, submitsPerStep: _s, ...model } = c.params;
  return paramsKey(model, '');
}

/** Growth slopes and ratios from the medians of one run. */
export function derive(r: SuiteResult): void {
  const done = r.cases.filter((c) => c.wallMs);
  const groups = new Map<string, CaseResult[]>();
  for (const c of done) {
    const k = `${c.family}|${c.variant}|${paramsKey(c.params, SIZE_KEY[c.family])}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  for (const [k, cs] of groups) {
    const [family, variant, params] = k.split('|') as [Family, string, string];
    if (cs.length < 2) continue;
    r.growth.push({
      family,
      variant,
      params,
      slope: logLogSlope(cs.map((c) => ({ x: c.size, y: c.wallMs!.median }))),
      sizes: cs.map((c) => c.size),
    });
  }
  const find = (family: Family, variant: string, like: CaseResult) =>
    done.find(
      (c) =>
        c.family === family &&
        c.variant === variant &&
        c.size === like.size &&
        paramsKey(c.params, '') === paramsKey(like.params, ''),
    );
  for (const c of done) {
    const params = paramsKey(c.params, SIZE_KEY[c.family]);
    const ratio = (what: string, num: CaseResult | undefined, den: CaseResult | undefined) => {
      if (num?.wallMs && den?.wallMs)
        r.ratios.push({
          family: c.family,
          what,
          params,
          size: c.size,
          ratio: num.wallMs.median / den.wallMs.median,
        });
    };
    if (c.family === 'attention' && c.variant === 'fused') {
      ratio('CPU reference ÷ fused', find('attention', 'cpu', c), c);
      ratio('staged ÷ fused', find('attention', 'staged', c), c);
      ratio('tfjs ÷ fused', find('attention', 'tfjs', c), c);
      ratio('tfjs ÷ staged', find('attention', 'tfjs', c), find('attention', 'staged', c));
    }
    if (c.family !== 'attention' && c.variant === 'gpu') {
      ratio('CPU reference ÷ GPU', find(c.family, 'cpu', c), c);
    }
    if (c.family === 'induction' && c.variant.startsWith('gpu')) {
      // Per step: a call of the pipelined case takes stepsPerCall steps.
      const like = (variant: string) =>
        done.find(
          (d) =>
            d.family === 'induction' &&
            d.variant === variant &&
            inductionModelKey(d) === inductionModelKey(c),
        );
      const stepRatio = (what: string, num: CaseResult | undefined) => {
        const n = num && perStepMs(num);
        const d = perStepMs(c);
        if (n !== undefined && d !== undefined && d > 0)
          r.ratios.push({ family: c.family, what, params, size: c.size, ratio: n / d });
      };
      stepRatio(`CPU reference ÷ ${c.variant}`, like('cpu'));
      if (c.variant === 'gpu-pipelined') stepRatio('gpu-step ÷ gpu-pipelined', like('gpu-step'));
    }
    if (c.family === 'training' && c.variant === 'gpu-pipelined' && c.stepsPerCall) {
      // Per step: one awaited step against one step of a pipelined call.
      const { stepsPerCall: _k, ...rest } = c.params;
      const awaited = done.find(
        (d) =>
          d.family === 'training' &&
          d.variant === 'gpu' &&
          d.size === c.size &&
          paramsKey(d.params, '') === paramsKey(rest, ''),
      );
      if (awaited?.wallMs && c.wallMs)
        r.ratios.push({
          family: c.family,
          what: 'awaited ÷ pipelined step',
          params,
          size: c.size,
          ratio: awaited.wallMs.median / (c.wallMs.median / c.stepsPerCall),
        });
      // The same steps one submit and one batch write each (before the batch ring), per step.
      const old = done.find(
        (d) =>
          d.family === 'training' &&
          d.variant === 'gpu-pipelined-submits' &&
          d.size === c.size &&
          paramsKey(d.params, '') === paramsKey(c.params, ''),
      );
      const [o, n] = [old && perStepMs(old), perStepMs(c)];
      if (o !== undefined && n !== undefined && n > 0)
        r.ratios.push({
          family: c.family,
          what: 'one submit per step ÷ one command buffer',
          params,
          size: c.size,
          ratio: o / n,
        });
    }
  }
}
