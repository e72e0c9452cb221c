/**
 * The BatchNorm lab's exports (formats in the README): the statistics JSON, each table as CSV and JSON
 * records, and each chart as PNG and SVG. File names end in the step they show.
 */
import { msg, str } from '@lit/localize';
import { heldOutRows } from '../../engine/batchnorm';
import { isImageTask } from '../../models/mlp';
import type { BatchnormState } from '../../state/batchnorm';
import { downloadJson, type CsvRow } from '../common/export';
import { downloadChart, tableActions } from '../common/export-actions';
import type { ExportAction } from '../common/export-buttons';
import { engineConfig, type BatchnormSession } from './session';

/** The lab's charts: the class of each one's <svg>, and its name in the file names (English: the export contract). */
export type ChartKey = 'loss' | 'accuracy' | 'percentiles' | 'running' | 'means' | 'vars';
const CHART_FILES: Record<ChartKey, string> = {
  loss: 'loss',
  accuracy: 'accuracy',
  percentiles: 'unit-percentiles',
  running: 'running-stats',
  means: 'channel-means',
  vars: 'channel-variances',
};

/** A chart's name in its export buttons and messages, in the interface language. */
export function chartName(key: ChartKey): string {
  switch (key) {
    case 'loss':
      return msg('loss');
    case 'accuracy':
      return msg('accuracy');
    case 'percentiles':
      return msg('unit input percentiles');
    case 'running':
      return msg('running statistics');
    case 'means':
      return msg('channel means');
    case 'vars':
      return msg('channel variances');
  }
}

export const HISTORY_HEAD = [
  'step',
  'loss with BN',
  'loss without BN',
  'batch accuracy with BN',
  'batch accuracy without BN',
];

/** Rows of the training history from step `from` on (x = updates made before the step's batch). */
export function historyRows(s: BatchnormSession, from = 0): CsvRow[] {
  const { loss, accuracy, steps } = s.history;
  const rows: CsvRow[] = [];
  for (let i = Math.max(0, from); i < steps; i++) {
    rows.push([
      i,
      loss.withBN.at(i)!,
      loss.withoutBN.at(i)!,
      accuracy.withBN.at(i)!,
      accuracy.withoutBN.at(i)!,
    ]);
  }
  return rows;
}

export const HELD_OUT_HEAD = ['step', 'held-out accuracy with BN', 'held-out accuracy without BN'];

export function heldOutTableRows(s: BatchnormSession): CsvRow[] {
  const h = s.history.held;
  return h.step.map((x, i) => [x, h.withBN[i]!, h.withoutBN[i]!]);
}

export const LATEST_HEAD = ['quantity', 'with BN', 'without BN'];

/** The latest step's numbers of both networks (and the latest held-out evaluation). */
export function latestRows(s: BatchnormSession): CsvRow[] {
  const r = s.latest;
  if (!r) return [];
  const rows: CsvRow[] = [
    ['step', r.step, r.step],
    ['batch loss', r.loss.withBN, r.loss.withoutBN],
    ['batch accuracy', r.accuracy.withBN, r.accuracy.withoutBN],
  ];
  const ho = s.heldOut;
  if (ho) {
    rows.push(['held-out loss', ho.loss.withBN, ho.loss.withoutBN]);
    rows.push(['held-out accuracy', ho.accuracy.withBN, ho.accuracy.withoutBN]);
    rows.push(['held-out images', ho.count, ho.count]);
    rows.push(['held-out evaluated after step', s.heldOutStep, s.heldOutStep]);
  }
  return rows;
}

export const CHANNEL_HEAD = [
  'layer',
  'channel',
  'pre-BN mean',
  'pre-BN var',
  'post-BN mean',
  'post-BN var',
  'running mean',
  'running var',
  'no-BN mean',
  'no-BN var',
];

/** Per-channel statistics of the layer shown. */
export function channelRows(s: BatchnormSession): CsvRow[] {
  const r = s.latest;
  if (!r) return [];
  const L = r.layers[r.percentiles.layer]!;
  return L.preBN.mean.map((_, c) => [
    L.index,
    c,
    L.preBN.mean[c]!,
    L.preBN.var[c]!,
    L.postBN.mean[c]!,
    L.postBN.var[c]!,
    L.runningMean[c]!,
    L.runningVar[c]!,
    L.plain.mean[c]!,
    L.plain.var[c]!,
  ]);
}

/**
 * A table's CSV and JSON buttons ("Export latest step (CSV)"): `label` in the interface language names the
 * buttons; `head` and `rows` are the English export contract. Rows are built when clicked.
 */
export function tableExports(
  s: BatchnormSession,
  label: string,
  file: string,
  head: string[],
  rows: () => CsvRow[],
): ExportAction[] {
  const base = () => `kernelscope-batchnorm-${file}-step${s.latest?.step ?? 0}`;
  return tableActions(label.toLowerCase(), base, () => [head, ...rows()]);
}

/** The config as exported: the engine config, plus the image data's shape for the image tasks. */
function exportConfig(s: BatchnormSession, p: BatchnormState) {
  const c = engineConfig(p);
  const img = s.images;
  if (!isImageTask(p.task) || !img) return c;
  return {
    ...c,
    pixels: Number(p.pixels),
    inputs: img.side * img.side,
    classes: img.classes,
    fonts: img.fonts,
    trainImages: img.data.labels.length,
    heldOutImages: heldOutRows({ ...c, data: img.data }),
  };
}

/** "Export statistics (JSON)": every layer's statistics of the latest step, and every step's loss. */
export function exportStats(s: BatchnormSession, p: BatchnormState): void {
  const r = s.latest;
  if (!r) return;
  downloadJson(`kernelscope-batchnorm-step${r.step}.json`, {
    lab: 'batchnorm',
    step: r.step,
    layers: r.layers.map((l) => ({
      index: l.index,
      preBN: l.preBN,
      postBN: l.postBN,
      runningMean: l.runningMean,
      runningVar: l.runningVar,
    })),
    loss: {
      withBN: Array.from(s.history.loss.withBN.values),
      withoutBN: Array.from(s.history.loss.withoutBN.values),
    },
    backend: s.backendLabel,
    view: r.view,
    config: exportConfig(s, p),
  });
}

/**
 * Saves one chart as drawn (a self-contained copy: colours, font and background resolved from the current
 * theme). The per-channel charts' file names say which view they show (by channel or histogram).
 */
export async function exportChart(
  svg: SVGSVGElement | null,
  key: ChartKey,
  kind: 'png' | 'svg',
  step: number,
  channels: BatchnormState['channels'],
): Promise<void> {
  if (!svg) throw new Error(msg(str`The ${chartName(key)} chart is not drawn yet.`));
  const view = key === 'means' || key === 'vars' ? `-${channels}` : '';
  await downloadChart(`kernelscope-batchnorm-${CHART_FILES[key]}${view}-step${step}`, svg, kind);
}
