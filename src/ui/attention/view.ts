/** What every panel of the lab renders from: the run on screen, the selection and the page's helpers. */
import { maxAbs, type HeatmapScale } from '../../charts/heatmap';
import type { AttentionStage, MatrixStage } from '../../engine/attention';
import type { AttentionState } from '../../state/attention';
import type { CustomMask } from './custom-mask';
import type { AttentionExports } from './exports';
import type { HeatmapCanvases } from './heatmap-canvas';
import type { HeatmapInteraction } from './interaction';
import type { LabLayout } from './layout';
import type { OpenTables } from './matrix-table';
import { maxOf, type Picture } from './matrices';
import type { LabRun, RowWeights, NumericsView } from './session';

/** Colours for canvas text, backgrounds of exported images, and highlights (from the theme's CSS). */
export interface Colors {
  text: string;
  panel: string;
  focus: string;
}

export interface LabView {
  lab: LabRun;
  pic: Picture;
  params: AttentionState;
  /** The selected head (clamped to the run's heads) and query row (−1: none). */
  head: number;
  row: number;
  /** The stage the enlarged heatmap shows (weights when the path does not compute the chosen one). */
  enlargedStage: MatrixStage;
  /** The stage whose pseudocode line is highlighted (the one hovered or focused, else the enlarged one). */
  currentStage: AttentionStage;
  setFocusStage(stage: AttentionStage | null): void;
  layout: LabLayout;
  canvases: HeatmapCanvases;
  ui: HeatmapInteraction;
  custom: CustomMask;
  tables: OpenTables;
  colors: Colors;
  /** Changes with the theme (part of every canvas's cache key). */
  themeVersion: number;
  rowWeights: RowWeights | undefined;
  numerics: NumericsView | undefined;
  numericsPending: boolean;
  /** Why the zoom window could not be fetched, if it could not. */
  viewError: string | null;
  exports: AttentionExports;
  set(patch: Partial<AttentionState>): void;
}

/**
 * The number a person reads for head index `h` of the run (default: the selected one), counted from 1: the
 * model's own head number when the run holds a block of a larger model's heads (GPT-2 beyond 16 heads).
 */
export function headNumber(v: Pick<LabView, 'lab' | 'head'>, h = v.head): number {
  return h + (v.lab.prepared.headWindow?.first ?? 0) + 1;
}

/** Weights use viridis over [0, 1], or over [0, this panel's max] when the user asks for contrast. */
export function weightsScale(values: ArrayLike<number>, range: AttentionState['weightRange']): HeatmapScale {
  if (range === 'unit') return { kind: 'sequential', min: 0, max: 1 };
  const m = maxOf(values);
  return { kind: 'sequential', min: 0, max: m > 0 ? m : 1 };
}

/** The colour scale of head matrix values of `stage`: weights sequential, the others diverging around 0. */
export function stageScale(v: LabView, stage: AttentionStage, values: ArrayLike<number>): HeatmapScale {
  return stage === 'weights'
    ? weightsScale(values, v.params.weightRange)
    : { kind: 'diverging', max: maxAbs(values) || 1 };
}
