/**
 * Plain helpers of the Attention lab page (no DOM): from the URL state to engine inputs, slicing
 * [heads][rows][cols] tensors into what one heatmap draws, labels for pooled cells, and export layouts.
 */
import { msg, str } from '@lit/localize';
import {
  MASKED_SENTINEL,
  maskMatrix,
  poolCellRange,
  type AttentionInputs,
  type AttentionMask,
  type PoolMode,
  type Rect,
} from '../../kernels/attention/spec';
import {
  initAttentionInputs,
  repeatTokens,
  tokenize,
  type AttentionInit,
  type AttentionInitOptions,
  type ImportedAttention,
} from '../../models/attention-inputs';
import type { AttentionState } from '../../state/attention';
import { formatCompact, formatCount } from '../../util/format';
import { prepareInduction, type InductionRun } from './induction-inputs';
import type { InductionModel } from './induction-models';

/** What the engine gets for one run, and what the page needs to label it. */
export interface Prepared {
  tokens: string[];
  inputs: AttentionInputs;
  mask: AttentionMask;
  /** Scale override, or undefined for 1/√d. */
  scale: number | undefined;
  /** Additive bias [heads][L][L] (ALiBi), or undefined. */
  bias?: Float32Array;
  source: 'sentence' | 'import' | 'model';
  /** With an induction model: the layer shown, its sequence analysis and the heads zeroed. */
  induction?: InductionRun;
  /**
   * With GPT-2: inputs hold the model's heads first … first + heads − 1 of `total` (the kernels run ≤ 16);
   * the page labels them with the model's numbers.
   */
  headWindow?: { first: number; total: number };
  /** Readable notes about adjustments (clamped valid length, truncated tokens …). */
  notes: string[];
}

type ImportedAttentionQkv = Extract<ImportedAttention, { kind: 'qkv' }>;

export interface ImportedFile {
  name: string;
  value: ImportedAttentionQkv;
}

/** Runs the seeded initialisation (inline, or in the CPU worker for large sizes). */
export type Initialise = (
  options: AttentionInitOptions,
) => Promise<Pick<AttentionInit, 'shape' | 'q' | 'k' | 'v'>>;

/**
 * Builds the engine inputs from the lab's state (or an imported file), with at most `maxL` tokens.
 * `custom` is the painted keep-matrix for mask=custom (L·L flags); when absent or of another size, the
 * custom mask starts as causal. Rejects with a RangeError with a readable message (e.g. no tokens).
 */
export async function prepareInputs(
  p: AttentionState,
  options: {
    imported?: ImportedFile | null;
    custom?: Uint8Array | null;
    maxL: number;
    maxLReason?: string;
    initialise?: Initialise;
    /** The induction model when p.model is not "random" (an imported file takes precedence). */
    induction?: InductionModel | null;
    /** With model=gpt2: the loaded checkpoint's tokens and chosen layer's Q, K, V (gpt2-section.ts). */
    gpt2?: {
      tokens: string[];
      inputs: AttentionInputs;
      notes: string[];
      headWindow?: { first: number; total: number };
    } | null;
  },
): Promise<Prepared> {
  const notes: string[] = [];
  let tokens: string[];
  let inputs: AttentionInputs;
  let scale: number | undefined = p.scale > 0 ? p.scale : undefined;
  let induction: InductionRun | undefined;
  const imported = options.imported;
  const gpt2 = imported ? null : options.gpt2;
  if (gpt2) {
    ({ tokens, inputs } = gpt2);
    notes.push(...gpt2.notes);
  } else if (!imported && options.induction) {
    const m = prepareInduction(p, options.induction);
    ({ tokens, inputs } = m);
    induction = m.run;
    notes.push(...m.notes);
  } else if (imported) {
    const v = imported.value;
    if (v.shape.L > options.maxL) {
      const { name } = imported;
      const { L } = v.shape;
      const { maxL, maxLReason } = options;
      throw new RangeError(
        maxLReason
          ? msg(str`${name} has L = ${L}, but ${maxLReason} runs at most L = ${maxL}.`)
          : msg(str`${name} has L = ${L}, but this backend runs at most L = ${maxL}.`),
      );
    }
    tokens = v.tokens ?? Array.from({ length: v.shape.L }, (_, i) => `t${i}`);
    inputs = { shape: v.shape, q: v.q, k: v.k, v: v.v };
    if (scale === undefined && v.scale !== undefined) scale = v.scale;
  } else {
    const base = tokenize(p.text, p.tokenizer);
    if (base.length === 0) throw new RangeError(msg('The sentence has no tokens: type some text.'));
    let L = p.L > 0 ? p.L : base.length;
    if (L > options.maxL) {
      const { maxL, maxLReason } = options;
      notes.push(
        maxLReason
          ? msg(str`${maxLReason} runs at most L = ${maxL}; using the first ${maxL} of ${L} tokens.`)
          : msg(str`This backend runs at most L = ${maxL}; using the first ${maxL} of ${L} tokens.`),
      );
      L = options.maxL;
    }
    tokens = repeatTokens(base, L);
    const count = base.length;
    if (p.L > count) {
      notes.push(msg(str`The ${count} tokens repeat to fill L = ${L}.`));
    } else if (L < count) {
      notes.push(msg(str`Using the first ${L} of ${count} tokens.`));
    }
    const initialise = options.initialise ?? (async (o: AttentionInitOptions) => initAttentionInputs(o));
    const init = await initialise({ tokens, heads: p.heads, d: p.d, seed: p.seed });
    inputs = { shape: init.shape, q: init.q, k: init.k, v: init.v };
  }
  const L = inputs.shape.L;
  let mask: AttentionMask;
  switch (p.mask) {
    case 'none':
    case 'causal':
      mask = { kind: p.mask };
      break;
    case 'padding': {
      const validLength = Math.min(p.validLength, L);
      const asked = p.validLength;
      if (validLength < asked) notes.push(msg(str`Valid length ${asked} is more than L; using ${L}.`));
      mask = { kind: 'padding', validLength };
      break;
    }
    case 'window':
      mask = { kind: 'window', width: p.window, causal: p.windowCausal };
      break;
    case 'custom':
      mask = {
        kind: 'custom',
        keep:
          options.custom && options.custom.length === L * L
            ? options.custom
            : maskMatrix({ kind: 'causal' }, L),
      };
      break;
  }
  let bias: Float32Array | undefined;
  if (p.bias === 'alibi') {
    const { heads } = inputs.shape;
    if (heads * L * L > MAX_BIAS_VALUES) {
      const max = formatCount(MAX_BIAS_VALUES);
      const asked = formatCount(heads * L * L);
      notes.push(
        msg(str`The ALiBi bias needs heads·L² ≤ ${max} values (asked for ${asked}); running without it.`),
      );
    } else {
      bias = alibiBias(heads, L);
    }
  }
  return {
    tokens,
    inputs,
    mask,
    scale,
    ...(bias ? { bias } : {}),
    ...(induction ? { induction } : {}),
    ...(gpt2?.headWindow ? { headWindow: gpt2.headWindow } : {}),
    source: imported ? 'import' : induction || gpt2 ? 'model' : 'sentence',
    notes,
  };
}

/** Largest [heads][L][L] bias the page builds (16 MiB of f32). */
export const MAX_BIAS_VALUES = 4_194_304;

/**
 * ALiBi (Press, Smith & Lewis 2022): bias[h][q][k] = −m_h·|q − k| with head slopes m_h = 2^(−8(h+1)/H), a
 * geometric sequence; added to the scaled scores before masking, so distant keys weigh less.
 */
export function alibiBias(heads: number, L: number): Float32Array {
  const out = new Float32Array(heads * L * L);
  for (let h = 0; h < heads; h++) {
    const slope = 2 ** ((-8 * (h + 1)) / heads);
    for (let q = 0; q < L; q++) {
      for (let k = 0; k < L; k++) out[(h * L + q) * L + k] = q === k ? 0 : -slope * Math.abs(q - k);
    }
  }
  return out;
}

/** One head's matrix (or a window / pooled view of it) as a heatmap draws it. */
export interface HeadMatrix {
  rows: number;
  cols: number;
  data: Float32Array;
  /** The part of the full L×L (or L×d) matrix it covers. */
  rect: Rect;
  /** True when a cell stands for more than one entry. */
  pooled: boolean;
}

/** Head h of a [heads][rows][cols] tensor covering `rect` (default: all of it). */
export function headOf(
  data: Float32Array,
  h: number,
  rows: number,
  cols: number,
  rect: Rect = { row0: 0, col0: 0, rows, cols },
): HeadMatrix {
  return {
    rows,
    cols,
    data: data.subarray(h * rows * cols, (h + 1) * rows * cols),
    rect,
    pooled: rows < rect.rows || cols < rect.cols,
  };
}

/** A rectangle of a full-resolution head matrix (zoom on data already read back). */
export function crop(m: HeadMatrix, rect: Rect): HeadMatrix {
  const out = new Float32Array(rect.rows * rect.cols);
  for (let i = 0; i < rect.rows; i++) {
    const src = (rect.row0 - m.rect.row0 + i) * m.cols + (rect.col0 - m.rect.col0);
    out.set(m.data.subarray(src, src + rect.cols), i * rect.cols);
  }
  return { rows: rect.rows, cols: rect.cols, data: out, rect, pooled: false };
}

/**
 * Pools the rows of a [rows][cols] head matrix (the output, L×d) to at most `maxRows` rows, by max or mean
 * (for drawing long sequences; the data stays in memory at full resolution).
 */
export function poolRows(m: HeadMatrix, maxRows: number, mode: 'max' | 'mean'): HeadMatrix {
  if (m.rows <= maxRows) return m;
  const out = new Float32Array(maxRows * m.cols);
  for (let r = 0; r < maxRows; r++) {
    const [a, b] = poolCellRange(r, maxRows, 0, m.rows);
    for (let c = 0; c < m.cols; c++) {
      let acc = mode === 'max' ? -Infinity : 0;
      for (let i = a; i < b; i++) {
        const v = m.data[i * m.cols + c]!;
        acc = mode === 'max' ? Math.max(acc, v) : acc + v;
      }
      out[r * m.cols + c] = mode === 'max' ? acc : acc / (b - a);
    }
  }
  return { rows: maxRows, cols: m.cols, data: out, rect: m.rect, pooled: true };
}

/**
 * Label of cell `i` of `count` cells covering `start…start+span−1`: the token (prefixed with its index in
 * sequences longer than 32, where tokens repeat), or an index range for a pooled cell.
 */
export function cellLabel(tokens: readonly string[], i: number, count: number, start: number, span: number) {
  const [a, b] = poolCellRange(i, count, start, span);
  if (b - a > 1) return `${a}–${b - 1}`;
  const token = tokens[a] ?? '';
  return tokens.length > 32 ? `${a} ${token}` : token;
}

export function axisLabels(tokens: readonly string[], count: number, start: number, span: number): string[] {
  return Array.from({ length: count }, (_, i) => cellLabel(tokens, i, count, start, span));
}

/** [heads][rows][cols] nested arrays of plain numbers (JSON export). */
export function nest3(data: ArrayLike<number>, heads: number, rows: number, cols: number): number[][][] {
  const out: number[][][] = [];
  for (let h = 0; h < heads; h++) {
    const head: number[][] = [];
    for (let i = 0; i < rows; i++) {
      const o = (h * rows + i) * cols;
      head.push(Array.from({ length: cols }, (_, j) => data[o + j]!));
    }
    out.push(head);
  }
  return out;
}

/** CSV rows of one head's L×L weights, with "index:token" headers. */
export function weightsCsv(
  tokens: readonly string[],
  weights: Float32Array,
  h: number,
  L: number,
): Array<Array<string | number>> {
  const names = tokenNames(tokens);
  return headCsv('query \\ key', names, names, weights, h, L, L);
}

/** "index:token" names (unique even when tokens repeat), as CSV headers and JSON labels use them. */
export function tokenNames(tokens: readonly string[]): string[] {
  return tokens.map((t, i) => `${i}:${t}`);
}

/**
 * CSV rows of head h of a [heads][rows][cols] tensor: a header row (`corner`, then the column names), then
 * one row per query with its name first. Masked entries (≤ MASKED_SENTINEL) are written as -inf, the value
 * the pseudocode's masked_fill puts there.
 */
export function headCsv(
  corner: string,
  rowNames: readonly string[],
  colNames: readonly string[],
  data: ArrayLike<number>,
  h: number,
  rows: number,
  cols: number,
): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [[corner, ...colNames]];
  for (let i = 0; i < rows; i++) {
    const o = (h * rows + i) * cols;
    const row: Array<string | number> = [rowNames[i] ?? String(i)];
    for (let j = 0; j < cols; j++) {
      const v = data[o + j]!;
      row.push(v <= MASKED_SENTINEL ? '-inf' : v);
    }
    out.push(row);
  }
  return out;
}

/** Head h of a [heads][rows][cols] tensor as nested [row][col] arrays; masked entries become null (JSON has no −∞). */
export function headNested(
  data: ArrayLike<number>,
  h: number,
  rows: number,
  cols: number,
): Array<Array<number | null>> {
  const out: Array<Array<number | null>> = [];
  for (let i = 0; i < rows; i++) {
    const o = (h * rows + i) * cols;
    out.push(
      Array.from({ length: cols }, (_, j) => {
        const v = data[o + j]!;
        return v <= MASKED_SENTINEL || !Number.isFinite(v) ? null : v;
      }),
    );
  }
  return out;
}

/** A pooling mode as a person reads it (the URL and option values stay max | mean). */
export function poolName(mode: PoolMode): string {
  return mode === 'max' ? msg('max') : msg('mean');
}

/** Compact number for tables and tooltips (formatCompact); masked entries print as −∞. */
export function fmtValue(x: number, digits = 4): string {
  return x <= MASKED_SENTINEL ? '−∞' : formatCompact(x, digits);
}

export function clampRect(rect: Rect, L: number): Rect {
  const rows = Math.max(1, Math.min(L, Math.round(rect.rows)));
  const cols = Math.max(1, Math.min(L, Math.round(rect.cols)));
  return {
    row0: Math.max(0, Math.min(L - rows, Math.round(rect.row0))),
    col0: Math.max(0, Math.min(L - cols, Math.round(rect.col0))),
    rows,
    cols,
  };
}
