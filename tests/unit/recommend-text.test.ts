/**
 * The Recommendation lab words its funnel stages in the interface language (src/ui/recommend/text.ts)
 * while the result keeps English for the exports (assemble.ts): in English the two read exactly alike.
 */
import { describe, expect, it } from 'vitest';
import { funnelStages, type FunnelFacts } from '../../src/engine/recommend/assemble';
import { RERANK_METHODS } from '../../src/kernels/recommend/spec';
import { METHOD_LABELS } from '../../src/ui/recommend/palette';
import { methodLabel, stageText } from '../../src/ui/recommend/text';

const facts = (over: Partial<FunnelFacts> = {}): FunnelFacts => ({
  items: 16384,
  categories: 12,
  users: 256,
  method: 'mmr',
  merged: 583,
  stageMs: { recall: 1.5, prerank: 0.4, rank: 0.9, rerank: 0.3 },
  coldStages: [],
  ...over,
});

describe('recommendation lab text', () => {
  it('words every stage as the result does, in English', () => {
    for (const method of RERANK_METHODS)
      for (const coldStages of [[], ['recall', 'prerank', 'rank', 'rerank'] as const]) {
        const f = facts({ method, coldStages: [...coldStages] });
        for (const stage of funnelStages(f)) {
          expect(stageText(stage, f)).toEqual(stage);
        }
      }
  });

  it('marks the stages timed on their first run', () => {
    const stages = funnelStages(facts({ coldStages: ['rank'] }));
    expect(stages.filter((s) => s.cold).map((s) => s.name)).toEqual(['rank']);
    expect(stages[3]!.detail).toContain('includes compiling its shaders');
  });

  it('names the re-rankers as the exports do, in English', () => {
    for (const m of RERANK_METHODS) expect(methodLabel(m)).toBe(METHOD_LABELS[m]);
  });
});
