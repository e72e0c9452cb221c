/** The Attention lab's view logic without a DOM: what each heatmap shows, zoom/pan, the custom mask, counts. */
import { describe, expect, it } from 'vitest';
import type { ReactiveControllerHost } from 'lit';
import { maskKeeps, poolCellRange, type AttentionMask } from '../../src/kernels/attention/spec';
import { initialState } from '../../src/state/store';
import { CustomMask } from '../../src/ui/attention/custom-mask';
import { HeatmapInteraction } from '../../src/ui/attention/interaction';
import {
  describeCell,
  enlargedMatrix,
  rowIndexOf,
  stripMatrix,
  type Picture,
} from '../../src/ui/attention/matrices';
import { fmtValue, headOf } from '../../src/ui/attention/model';
import { maskedWeights } from '../../src/ui/attention/numerics';
import { computeKey, type LabRun } from '../../src/ui/attention/session';
import { cpuLabRun } from './attention-run';

const host = { requestUpdate: () => undefined } as unknown as ReactiveControllerHost;

async function cpuRun(mask: AttentionMask['kind'] = 'causal', L = 6): Promise<LabRun> {
  return (await cpuLabRun({ text: 'a b c d e f', L, heads: 2, d: 4, mask }, 64)).lab;
}

const picture = (lab: LabRun, zoom: Picture['zoom'] = null): Picture => ({
  lab,
  views: null,
  zoom,
  pool: 'max',
});

describe('what the heatmaps show', () => {
  it('the strip shows each head of a full run; the enlarged view crops the zoom window', async () => {
    const lab = await cpuRun('causal', 8);
    const L = 8;
    const w = lab.run.stages.weights!;
    const m = stripMatrix(picture(lab), 'weights', 1)!;
    expect(Array.from(m.data)).toEqual(Array.from(w.subarray(L * L, 2 * L * L)));
    const zoom = { row0: 2, col0: 1, rows: 4, cols: 4 };
    const z = enlargedMatrix(picture(lab, zoom), 'weights', 1)!;
    expect(z.rect).toEqual(zoom);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) expect(z.data[i * 4 + j]).toBe(w[L * L + (2 + i) * L + 1 + j]);
    // A stage the path did not compute is not drawn.
    expect(stripMatrix(picture({ ...lab, available: new Set(['weights']) }), 'scores', 0)).toBeNull();
  });

  it('a cell names its query and key, the raw score and weight, and whether it is masked', async () => {
    const lab = await cpuRun('causal');
    const L = 6;
    const m = headOf(lab.run.stages.weights!, 0, L, L);
    const raw = lab.run.stages.scores![0 * L + 4];
    const kept = describeCell(picture(lab), m, 0, 0, 4, 'weights');
    expect(kept).toBe(
      `query “a” (#0) · key “e” (#4) · raw score QKᵀ = ${fmtValue(raw!)} · weight = 0 · masked`,
    );
    const diag = describeCell(picture(lab), m, 0, 3, 3, 'weights');
    expect(diag).not.toContain('masked');
    expect(diag).toContain(`weight = ${fmtValue(lab.run.stages.weights![3 * L + 3]!)}`);
  });

  it('rowIndexOf finds the pooled cell whose source range holds the row', () => {
    for (const [count, start, span] of [
      [4, 0, 10],
      [256, 0, 4096],
      [7, 100, 300],
      [5, 3, 5],
    ] as const) {
      for (let row = start; row < start + span; row++) {
        const i = rowIndexOf(row, count, start, span)!;
        const [a, b] = poolCellRange(i, count, start, span);
        expect(row >= a && row < b, `row ${row} in cell ${i} = [${a}, ${b})`).toBe(true);
      }
      expect(rowIndexOf(start + span, count, start, span)).toBeUndefined();
      expect(rowIndexOf(start - 1, count, start, span)).toBeUndefined();
    }
  });
});

describe('zoom and pan', () => {
  const interaction = (lab: LabRun) =>
    new HeatmapInteraction(
      {
        requestUpdate: () => undefined,
        shown: () => lab,
        enlarged: () => null,
        strip: () => null,
        set: () => undefined,
      },
      new CustomMask(host),
    );

  it('zooms about the centre, stops at 4 cells, pans by a quarter and stays inside the matrix', async () => {
    const lab = await cpuRun('none', 16);
    const ui = interaction(lab);
    ui.zoomBy(lab, 0.5);
    expect(ui.zoom).toEqual({ row0: 4, col0: 4, rows: 8, cols: 8 });
    ui.zoomBy(lab, 0.5);
    ui.zoomBy(lab, 0.5);
    expect(ui.zoom).toEqual({ row0: 6, col0: 6, rows: 4, cols: 4 });
    ui.pan(lab, -1, 1);
    expect(ui.zoom).toEqual({ row0: 5, col0: 7, rows: 4, cols: 4 });
    for (let i = 0; i < 10; i++) ui.pan(lab, 1, 1);
    expect(ui.zoom).toEqual({ row0: 12, col0: 12, rows: 4, cols: 4 });
    ui.zoomBy(lab, 2, [12, 12]); // keeps the point under the pointer: row 12 stays at the window's top
    expect(ui.zoom).toEqual({ row0: 8, col0: 8, rows: 8, cols: 8 });
    ui.zoomBy(lab, 2);
    expect(ui.zoom).toBeNull();
  });
});

describe('the custom mask', () => {
  it('paints every entry under a pooled cell, and the overlay marks cells with any kept entry', async () => {
    const lab = await cpuRun('custom', 6);
    const mask = new CustomMask(host);
    mask.adopt(lab.prepared);
    const L = 6;
    // The custom mask starts as causal.
    expect(Array.from(mask.keep!)).toEqual(
      Array.from({ length: L * L }, (_, i) => (i % L <= Math.floor(i / L) ? 1 : 0)),
    );
    // A 3×3 pooled view: cell (0, 2) covers queries 0–1 × keys 4–5, all masked.
    const pooled = {
      rows: 3,
      cols: 3,
      data: new Float32Array(9),
      rect: { row0: 0, col0: 0, rows: 6, cols: 6 },
      pooled: true,
    };
    expect(mask.keeps(pooled, { row: 0, col: 2 }, L)).toBe(false);
    expect(mask.overlay(pooled, L)![2]).toBe(0);
    const version = mask.version;
    mask.paint(pooled, { row: 0, col: 2 }, 1, L);
    for (const [q, k] of [
      [0, 4],
      [0, 5],
      [1, 4],
      [1, 5],
    ])
      expect(mask.keep![q! * L + k!]).toBe(1);
    expect(mask.overlay(pooled, L)![2]).toBe(1);
    expect(mask.version).toBe(version); // a stroke computes anew only when it ends
    mask.commit();
    expect(mask.version).toBe(version + 1);
  });
});

describe('masked weights', () => {
  it('counts the weights the mask excludes and those of them that are not exactly 0', async () => {
    const lab = await cpuRun('causal', 6);
    expect(maskedWeights(lab)).toEqual({ masked: 2 * 15, nonZero: 0 });
    const w = lab.run.stages.weights!.slice();
    expect(maskKeeps(lab.prepared.mask, 6, 0, 5)).toBe(false);
    w[5] = 1e-30;
    const planted = { ...lab, run: { ...lab.run, stages: { ...lab.run.stages, weights: w } } };
    expect(maskedWeights(planted)).toEqual({ masked: 30, nonZero: 1 });
    expect(maskedWeights({ ...lab, full: false })).toBeNull();
  });
});

describe('computeKey', () => {
  it('changes with what is computed, not with the head, row or stage on view', () => {
    const p = initialState().labs.attention;
    expect(computeKey({ ...p, head: 2, row: 3, stage: 'scores', weightRange: 'max' })).toBe(computeKey(p));
    expect(computeKey({ ...p, mask: 'causal' })).not.toBe(computeKey(p));
    expect(computeKey({ ...p, path: 'fused' })).not.toBe(computeKey(p));
  });
});
