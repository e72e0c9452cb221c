/**
 * The Random lab's exports (formats documented in the README): the moments, the moments table and the
 * histogram, as CSV and JSON; the histogram chart as PNG and SVG.
 */
import { msg } from '@lit/localize';
import { standardErrors, theory } from '../../kernels/random/theory';
import { downloadCsv, downloadJson, tableRecords, type CsvRow } from '../common/export';
import { chartActions, svgSource } from '../common/export-actions';
import type { ExportAction } from '../common/export-buttons';
import type { RandomRun } from './session';

/**
 * The rows of the moments table (label, key into Moments / theory / standard errors). The labels are the
 * exported table's first column (English, the documented format); the page shows momentLabel().
 */
export const MOMENT_ROWS = [
  ['Mean', 'mean'],
  ['Variance', 'variance'],
  ['Skewness', 'skewness'],
  ['Excess kurtosis', 'excessKurtosis'],
] as const;

/** A moment's name as the page shows it, in the interface language. */
export function momentLabel(key: (typeof MOMENT_ROWS)[number][1]): string {
  switch (key) {
    case 'mean':
      return msg('Mean');
    case 'variance':
      return msg('Variance');
    case 'skewness':
      return msg('Skewness');
    case 'excessKurtosis':
      return msg('Excess kurtosis');
  }
}

const MOMENT_HEAD = ['moment', 'empirical', 'theory', 'standardError', 'z'];

/** The moments table as the page shows it: moment, empirical, theory, standard error, z. */
function momentRows(run: RandomRun): CsvRow[] {
  const { result } = run;
  const t = theory(result.params.transform);
  const se = standardErrors(t, result.sums.n);
  return MOMENT_ROWS.map(([label, key]) => {
    const emp = result.moments[key];
    return [label, emp, t[key], se[key], (emp - t[key]) / se[key]];
  });
}

/** The histogram as rows: bin_lo, bin_hi, count (in-range bins, then underflow and overflow). */
function histogramRows(run: RandomRun): CsvRow[] {
  const { spec, counts } = run.result;
  const w = (spec.hi - spec.lo) / spec.bins;
  const rows: CsvRow[] = [['bin_lo', 'bin_hi', 'count']];
  for (let i = 0; i < spec.bins; i++) rows.push([spec.lo + i * w, spec.lo + (i + 1) * w, counts[i]!]);
  rows.push(['-inf', spec.lo, counts[spec.bins]!], [spec.hi, 'inf', counts[spec.bins + 1]!]);
  return rows;
}

function exportMoments(run: RandomRun) {
  const { result } = run;
  downloadJson(`kernelscope-random-${result.params.transform}-seed${result.params.seed}.json`, {
    lab: 'random',
    transform: result.params.transform,
    seed: result.params.seed,
    count: result.sums.n,
    mean: result.moments.mean,
    variance: result.moments.variance,
    skewness: result.moments.skewness,
    excessKurtosis: result.moments.excessKurtosis,
    backend: run.backendLabel,
  });
}

/** {lab, transform, seed, count, lo, hi, bins, counts, underflow, overflow, backend}: the CSV's counts. */
function exportHistogramJson(run: RandomRun) {
  const { spec, counts, params, sums } = run.result;
  downloadJson(`kernelscope-random-histogram-${params.transform}.json`, {
    lab: 'random',
    transform: params.transform,
    seed: params.seed,
    count: sums.n,
    lo: spec.lo,
    hi: spec.hi,
    bins: spec.bins,
    counts: Array.from(counts.subarray(0, spec.bins)),
    underflow: counts[spec.bins]!,
    overflow: counts[spec.bins + 1]!,
    backend: run.backendLabel,
  });
}

function exportMomentsTable(run: RandomRun, format: 'csv' | 'json') {
  const { params, sums } = run.result;
  const base = `kernelscope-random-moments-table-${params.transform}-seed${params.seed}`;
  const rows = [MOMENT_HEAD, ...momentRows(run)];
  if (format === 'csv') return downloadCsv(`${base}.csv`, rows);
  downloadJson(`${base}.json`, {
    lab: 'random',
    transform: params.transform,
    seed: params.seed,
    count: sums.n,
    theory: theory(params.transform).notation,
    rows: tableRecords(rows),
    backend: run.backendLabel,
  });
}

export function histogramExports(run: RandomRun, svg: () => SVGSVGElement): ExportAction[] {
  const transform = run.result.params.transform;
  return [
    ...chartActions(msg('histogram'), 'kernelscope-random-histogram', svgSource(svg)),
    {
      label: msg('Export histogram (CSV)'),
      run: () => downloadCsv(`kernelscope-random-histogram-${transform}.csv`, histogramRows(run)),
    },
    { label: msg('Export histogram (JSON)'), run: () => exportHistogramJson(run) },
  ];
}

export function momentExports(run: RandomRun): ExportAction[] {
  return [
    { label: msg('Export moments (JSON)'), primary: true, run: () => exportMoments(run) },
    { label: msg('Export moments table (CSV)'), run: () => exportMomentsTable(run, 'csv') },
    { label: msg('Export moments table (JSON)'), run: () => exportMomentsTable(run, 'json') },
  ];
}
