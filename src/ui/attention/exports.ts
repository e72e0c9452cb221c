/**
 * Every download of the lab. Tensors are [head][query][key or dim] at full resolution, the numbers the
 * backend computed (a pooled GPU run re-runs the staged path, or reads a window, for them); masked entries
 * are -inf in CSV and null in JSON. A failure shows in the lab's message line.
 */
import { msg, str } from '@lit/localize';
import { heatmapSvg, renderHeatmap, type HeatmapOptions } from '../../charts/heatmap';
import type { AttentionStage } from '../../engine/attention';
import {
  downloadBlob,
  downloadCanvasPng,
  downloadCsv,
  downloadJson,
  tableRecords,
  type CsvRow,
} from '../common/export';
import { downloadChart } from '../common/export-actions';
import type { HeatmapCanvases } from './heatmap-canvas';
import { headCsv, headNested, nest3, tokenNames, weightsCsv } from './model';
import { numericsRows } from './numerics';
import type { AttentionSession, LabRun, NumericsView, RowWeights } from './session';
import { headNumber, type Colors } from './view';

/** The keys of the "Export weights (JSON)" object, in order (shown in the Export panel). */
export const EXPORT_KEYS = [
  'lab',
  'tokens',
  'mask',
  'heads',
  'L',
  'd',
  'scale',
  'q',
  'k',
  'v',
  'weights',
  'output',
  'backend',
] as const;

interface ExportHost {
  session: AttentionSession;
  canvases: HeatmapCanvases;
  /** The run for the current controls (waits for one in progress; undefined after a failure). */
  currentRun(): Promise<LabRun | undefined>;
  /** The run on screen. */
  shown(): LabRun | undefined;
  head(): number;
  colors(): Colors;
  rowSvg(): SVGSVGElement | null;
  rowWeights(): RowWeights | undefined;
  numerics(): NumericsView | undefined;
  setMessage(message: { text: string; error: boolean } | null): void;
}

export class AttentionExports {
  constructor(private readonly host: ExportHost) {}

  /** Runs an export of the current run; a failure becomes the lab's "Could not export" alert. */
  private async withRun(work: (lab: LabRun) => Promise<void> | void, preparing = false): Promise<void> {
    const lab = await this.host.currentRun();
    if (!lab) return;
    if (preparing) this.host.setMessage({ text: msg('Preparing the export…'), error: false });
    try {
      await work(lab);
      this.host.setMessage(null);
    } catch (e) {
      const problem = (e as Error).message;
      this.host.setMessage({ text: msg(str`Could not export: ${problem}`), error: true });
    }
  }

  /**
   * {lab, tokens, mask, heads, L, d, scale, q, k, v, weights, output, backend}: every head. With an induction
   * model also {model, layer, scores: {previousToken, prefixMatching}} ([layer][head]; prefixMatching null
   * when the sequence has no repeated block), and q … output are the shown layer's.
   */
  weightsJson(): Promise<void> {
    return this.withRun(async (lab) => {
      const { weights, output } = await this.host.session.fullResolution(lab);
      const { heads, L, d } = lab.run.shape;
      const { inputs, tokens, mask } = lab.prepared;
      const model = lab.prepared.induction;
      downloadJson(
        `kernelscope-attention-${model ? `${model.model.kind}-layer${model.layer}-` : ''}${mask.kind}-L${L}-h${heads}-d${d}.json`,
        {
          lab: 'attention',
          ...(model
            ? {
                model: model.model.kind,
                layer: model.layer,
                scores: {
                  previousToken: model.analysis.previousToken,
                  prefixMatching: model.analysis.prefixMatching,
                },
              }
            : {}),
          tokens,
          mask: mask.kind,
          heads,
          L,
          d,
          scale: lab.run.scale,
          q: nest3(inputs.q, heads, L, d),
          k: nest3(inputs.k, heads, L, d),
          v: nest3(inputs.v, heads, L, d),
          weights: nest3(weights, heads, L, L),
          output: nest3(output, heads, L, d),
          backend: lab.backendLabel,
        },
      );
    }, true);
  }

  /** The selected head's L×L weights with "index:token" headers. */
  weightsCsv(): Promise<void> {
    return this.withRun(async (lab) => {
      const { weights } = await this.host.session.fullResolution(lab);
      const h = this.host.head();
      downloadCsv(
        `kernelscope-attention-weights-head${headNumber({ lab, head: h })}.csv`,
        weightsCsv(lab.prepared.tokens, weights, h, lab.run.shape.L),
      );
    });
  }

  /** index, token, q0…, k0…, v0…, out0… per query of the selected head. */
  tensorsCsv(): Promise<void> {
    return this.withRun((lab) => {
      const { L, d } = lab.run.shape;
      const h = this.host.head();
      const { inputs, tokens } = lab.prepared;
      const out = lab.run.stages.output;
      const dims = (name: string) => Array.from({ length: d }, (_, j) => `${name}${j}`);
      const rows: CsvRow[] = [
        ['index', 'token', ...dims('q'), ...dims('k'), ...dims('v'), ...(out ? dims('out') : [])],
      ];
      for (let i = 0; i < L; i++) {
        const o = (h * L + i) * d;
        const part = (a: ArrayLike<number>) => Array.from({ length: d }, (_, j) => a[o + j]!);
        rows.push([
          i,
          tokens[i]!,
          ...part(inputs.q),
          ...part(inputs.k),
          ...part(inputs.v),
          ...(out ? part(out) : []),
        ]);
      }
      downloadCsv(`kernelscope-attention-qkv-output-head${headNumber({ lab, head: h })}.csv`, rows);
    });
  }

  /** Q, K, V and the output of the selected head: {lab, head, tokens, L, d, q, k, v, output, backend}. */
  tensorsJson(): Promise<void> {
    return this.withRun(async (lab) => {
      const { L, d } = lab.run.shape;
      const h = this.host.head();
      const { inputs, tokens } = lab.prepared;
      const output = lab.run.stages.output ?? (await this.host.session.fullResolution(lab)).output;
      downloadJson(`kernelscope-attention-qkv-output-head${headNumber({ lab, head: h })}.json`, {
        lab: 'attention',
        head: headNumber({ lab, head: h }),
        tokens,
        L,
        d,
        q: headNested(inputs.q, h, L, d),
        k: headNested(inputs.k, h, L, d),
        v: headNested(inputs.v, h, L, d),
        output: headNested(output, h, L, d),
        backend: lab.backendLabel,
      });
    });
  }

  /**
   * One stage of the selected head, as CSV (rows = queries, "index:token" names) or JSON {lab, stage, head,
   * tokens, mask, L, d, scale, rows, cols, values, backend}.
   */
  stage(stage: AttentionStage, format: 'csv' | 'json'): Promise<void> {
    return this.withRun(async (lab) => {
      const data = await this.host.session.stageTensor(lab, stage);
      const { L, d } = lab.run.shape;
      const h = this.host.head();
      const output = stage === 'output';
      const cols = output ? d : L;
      const { tokens, mask } = lab.prepared;
      const base = `kernelscope-attention-${stage}-head${headNumber({ lab, head: h })}`;
      if (format === 'csv') {
        const names = tokenNames(tokens);
        const colNames = output ? Array.from({ length: d }, (_, j) => `dim${j}`) : names;
        const corner = output ? 'query \\ dim' : 'query \\ key';
        downloadCsv(`${base}.csv`, headCsv(corner, names, colNames, data, h, L, cols));
        return;
      }
      downloadJson(`${base}.json`, {
        lab: 'attention',
        stage,
        head: headNumber({ lab, head: h }),
        tokens,
        mask: mask.kind,
        L,
        d,
        scale: lab.run.scale,
        rows: 'query',
        cols: output ? 'dim' : 'key',
        values: headNested(data, h, L, cols),
        backend: lab.backendLabel,
      });
    });
  }

  /** The numerics table as CSV (quantity, value) or JSON {lab, L, heads, d, mask, rows, backend}. */
  numerics(format: 'csv' | 'json'): void {
    const lab = this.host.shown();
    if (!lab) return;
    const rows = numericsRows(lab, this.host.numerics());
    const { heads, L, d } = lab.run.shape;
    const mask = lab.prepared.mask.kind;
    const base = `kernelscope-attention-numerics-${mask}-L${L}`;
    if (format === 'csv') downloadCsv(`${base}.csv`, rows);
    else {
      const records = tableRecords(rows);
      downloadJson(`${base}.json`, {
        lab: 'attention',
        heads,
        L,
        d,
        mask,
        rows: records,
        backend: lab.backendLabel,
      });
    }
  }

  /** The selected query row's weights (the bar chart) as CSV (key, token, weight) or JSON. */
  row(row: RowWeights, format: 'csv' | 'json'): void {
    const lab = this.host.shown();
    if (!lab) return;
    const tokens = lab.prepared.tokens;
    const base = `kernelscope-attention-row${row.row}-head${headNumber({ lab, head: row.head })}`;
    if (format === 'csv') {
      const rows: CsvRow[] = [['key', 'token', 'weight']];
      row.values.forEach((w, k) => rows.push([k, tokens[k] ?? '', w]));
      downloadCsv(`${base}.csv`, rows);
      return;
    }
    downloadJson(`${base}.json`, {
      lab: 'attention',
      head: headNumber({ lab, head: row.head }),
      query: row.row,
      token: tokens[row.row] ?? '',
      tokens,
      weights: Array.from(row.values),
      backend: lab.backendLabel,
    });
  }

  rowChart(format: 'png' | 'svg'): Promise<void> | void {
    const svg = this.host.rowSvg();
    const row = this.host.rowWeights();
    const lab = this.host.shown();
    if (!svg || !row || !lab) return;
    const head = headNumber({ lab, head: row.head });
    return downloadChart(`kernelscope-attention-row${row.row}-head${head}`, svg, format);
  }

  /** Heatmap `id` as drawn on screen, at least 360 px, titled, on the panel's background. */
  heatmap(id: string, format: 'png' | 'svg'): Promise<void> | void {
    const entry = this.host.canvases.get(id);
    if (!entry) return;
    const c = this.host.colors();
    const options: HeatmapOptions = {
      ...entry.options,
      title: entry.exportTitle,
      width: Math.max(entry.options.width, 360),
      height: Math.max(entry.options.height, 360) + 18,
      background: c.panel,
      textColor: c.text,
      highlightCell: undefined,
      dpr: 2,
    };
    if (format === 'png') {
      const canvas = document.createElement('canvas');
      renderHeatmap(canvas, entry.data, options);
      return downloadCanvasPng(`${entry.fileBase}.png`, canvas, c.panel);
    }
    const svg = heatmapSvg(entry.data, { ...options, dpr: 1 });
    downloadBlob(`${entry.fileBase}.svg`, new Blob([svg], { type: 'image/svg+xml' }));
  }
}
