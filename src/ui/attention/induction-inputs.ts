/**
 * The Attention lab's inputs when Q, K and V come from the induction model: the token sequence (the user's,
 * or the generated one with its repeat), the float64 forward with the chosen heads zeroed, and the chosen
 * layer's per-head Q, K, V for the lab's attention engine. No DOM.
 */
import { msg } from '@lit/localize';
import type { AttentionInputs } from '../../kernels/attention/spec';
import { INDUCTION_CONFIG } from '../../models/induction';
import {
  analyseSequence,
  demoSequence,
  parseSequence,
  tokenLabel,
  type HeadRef,
  type SequenceAnalysis,
} from '../../models/induction/sequence';
import type { AttentionState } from '../../state/attention';
import type { InductionModel } from './induction-models';

export interface InductionRun {
  model: InductionModel;
  /** The layer whose heads the lab shows. */
  layer: number;
  ablate: HeadRef[];
  /** The sequence is the generated one (seed, period) or the user's typed tokens. */
  source: 'generated' | 'typed';
  analysis: SequenceAnalysis;
}

/** "0.1,1.2" → [{layer 0, head 1}, {layer 1, head 2}] (the state slice has validated it). */
export function parseHeadList(list: string): HeadRef[] {
  if (!list) return [];
  return list.split(',').map((x) => {
    const [layer, head] = x.split('.').map(Number) as [number, number];
    return { layer, head };
  });
}

export function formatHeadList(heads: readonly HeadRef[]): string {
  return heads.map((h) => `${h.layer}.${h.head}`).join(',');
}

/**
 * Q, K, V of layer p.layer for the sequence of `p` through `model`, the token labels, and notes on what the
 * random-projection controls no longer do. Throws a RangeError naming a bad typed sequence.
 */
export function prepareInduction(
  p: AttentionState,
  model: InductionModel,
): { tokens: string[]; inputs: AttentionInputs; run: InductionRun; notes: string[] } {
  const notes: string[] = [];
  let ids: Uint32Array;
  let source: InductionRun['source'];
  if (p.tokens) {
    const parsed = parseSequence(p.tokens);
    if (!parsed.ok) throw new RangeError(parsed.error);
    ids = parsed.ids;
    source = 'typed';
  } else {
    ids = demoSequence(p.seed, p.period).ids;
    source = 'generated';
  }
  const ablate = parseHeadList(p.ablate);
  const analysis = analyseSequence(model.params, ids, { ablate, ablations: true });
  const layer = Math.min(p.layer, INDUCTION_CONFIG.layers - 1);
  const { heads, dHead: d } = INDUCTION_CONFIG;
  const inputs: AttentionInputs = {
    shape: { heads, L: ids.length, d },
    q: analysis.q[layer]!,
    k: analysis.k[layer]!,
    v: analysis.v[layer]!,
  };
  if (p.mask !== 'causal')
    notes.push(
      msg(
        'The model was trained with the causal mask: with this mask the weights show what it never saw. Its scores and losses below always use the causal mask.',
      ),
    );
  if (p.bias !== 'none')
    notes.push(msg('The ALiBi bias is not part of the model; its scores and losses ignore it.'));
  if (p.scale > 0)
    notes.push(msg('The model uses scale 1/√16; its scores and losses ignore the scale override.'));
  if (p.L > 0)
    notes.push(msg('L, heads and d come from the model and its sequence; the L control is not used.'));
  return {
    tokens: Array.from(ids, tokenLabel),
    inputs,
    run: { model, layer, ablate, source, analysis },
    notes,
  };
}
