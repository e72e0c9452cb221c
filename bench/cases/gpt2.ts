/**
 * GPT-2 family (issue 14): one forward pass of GpuGpt2 (src/engine/gpt2) vs T tokens on a seeded random
 * gpt2-shaped model (width 768, 12 heads, vocab 50257, context 1024; 12 layers, or 2 under --quick), with the
 * attention maps the lab reads (full up to 256 tokens, max-pooled to 256 × 256 beyond), against the float64
 * reference (src/models/gpt2/ref.ts) at the smallest T only. tokens/s = stepsPerSecond with T steps per call.
 */
import { GpuGpt2, attentionModeFor } from '../../src/engine/gpt2/index';
import { gpt2Reference } from '../../src/models/gpt2/ref';
import { randomGpt2Tensors } from '../../src/models/gpt2/random';
import { GPT2_LN_EPS, GPT2_VOCAB, memorySource, type Gpt2Config } from '../../src/models/gpt2/types';
import type { Suite } from '../suite';
import type { CaseResult } from '../types';

const seed = 1;

export function benchGpt2Config(quick: boolean): Gpt2Config {
  return {
    nLayer: quick ? 2 : 12,
    nHead: 12,
    nEmbd: 768,
    vocab: GPT2_VOCAB,
    nPositions: 1024,
    eps: GPT2_LN_EPS,
  };
}

/** Token ids of a T-token input (a fixed pseudo-random walk over the vocabulary). */
function tokens(T: number): Uint32Array {
  return Uint32Array.from({ length: T }, (_, i) => (i * 7919 + 13) % GPT2_VOCAB);
}

export async function gpt2Cases(s: Suite): Promise<void> {
  const config = benchGpt2Config(s.options.quick);
  const Ts = s.options.quick ? [64, 128] : [64, 128, 256, 512, 1024];
  const params = { layers: config.nLayer, heads: config.nHead, width: config.nEmbd, vocab: config.vocab };
  const spent = s.overBudget();
  if (spent) {
    s.note(`GPT-2: ${spent}.`);
    return;
  }
  const t0 = performance.now();
  const tensors = randomGpt2Tensors(config, seed);
  s.env.log(`setup  GPT-2 random weights: ${(performance.now() - t0).toFixed(0)} ms (CPU, Philox)`);
  const model = await GpuGpt2.load(s.wrapped.device, memorySource(config, tensors), { label: 'bench.gpt2' });
  const pred = s.predictor(1.3);
  try {
    for (const T of Ts) {
      const mode = attentionModeFor(T);
      const g: CaseResult = {
        family: 'gpt2',
        variant: 'gpu',
        params: { ...params, attention: mode },
        size: T,
        backend: s.name,
        stepsPerCall: T,
      };
      const slow = pred.tooSlow('gpu', T, s.p.maxGpuRunMs);
      if (slow) g.skipped = slow;
      else {
        const ids = tokens(T);
        await s.measure(
          g,
          async () => {
            const out = await model.forward(ids, { attention: mode });
            if (!out.logits.every(Number.isFinite)) throw new Error(`gpt2: non-finite logits at T = ${T}`);
            return { dispatches: model.lastDispatches, submits: model.lastSubmits };
          },
          { gpu: true, maxReps: 5, warmup: 1 },
        );
        pred.record('gpu', T, g.wallMs?.median);
      }
      s.push(g);
    }
    const T = Ts[0]!;
    const c: CaseResult = {
      family: 'gpt2',
      variant: 'cpu',
      params: { ...params, attention: attentionModeFor(T) },
      size: T,
      backend: 'CPU (JavaScript float64 reference)',
      stepsPerCall: T,
    };
    const over = s.overBudget();
    if (over) c.skipped = over;
    else {
      const ids = [...tokens(T)];
      await s.measure(
        c,
        async () => {
          const r = gpt2Reference(tensors, config, ids, { attention: true });
          if (!r.logits.get(T - 1)!.every(Number.isFinite)) throw new Error('gpt2 cpu: non-finite logits');
          return {};
        },
        { gpu: false, maxReps: 3, warmup: 1 },
      );
    }
    s.push(c);
  } finally {
    model.destroy();
  }
  s.note(
    `GPT-2: one forward pass of a random gpt2-shaped model (${config.nLayer} layers` +
      (s.options.quick ? ' under --quick; gpt2 has 12' : '') +
      `, width 768, 12 heads, vocab 50257) at T tokens: GpuGpt2.forward (one submit; reads back the last ` +
      'logits [V] and every head’s attention map, full up to T = 256, max-pooled to 256 × 256 beyond) vs the ' +
      'float64 reference (all layers, attention kept; at the smallest T only). tokens/s = T ÷ wall time. ' +
      'Target on a real GPU (issue 14): T = 1024 with 12 layers under 100 ms.',
  );
}
