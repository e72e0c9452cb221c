/**
 * Pure helpers of the Attention lab's GPT-2 model (issue 14): a layer's fused QKV [T][3C] split into the
 * lab's per-head Q, K, V, the per-head summary table (sorting, CSV rows) and the "Export model attention"
 * JSON layout. No DOM, no GPU.
 */
import { msg, str } from '@lit/localize';
import type { AttentionInputs } from '../../kernels/attention/spec';
import { headScores, type HeadScores } from '../../models/gpt2/ref';
import type { Gpt2Config } from '../../models/gpt2/types';
import type { AttentionState } from '../../state/attention';
import { formatCount } from '../../util/format';
import type { CsvRow } from '../common/export';

/** The full-map export holds at most this many attention weights (layers·heads·T²; 64 MiB as JSON-ish). */
export const GPT2_EXPORT_MAX_VALUES = 8_388_608;

/**
 * Layer QKV [T][3C] (GPT-2's c_attn output: q | k | v, each C wide, head h at columns h·d … h·d + d − 1)
 * → the lab's inputs, heads [h0, h0 + count) as [heads][T][d].
 */
export function splitQkv(
  qkv: Float32Array,
  T: number,
  C: number,
  H: number,
  h0 = 0,
  count = H,
): AttentionInputs {
  const d = C / H;
  if (!Number.isInteger(d)) throw new RangeError(`width ${C} is not a multiple of ${H} heads`);
  if (qkv.length !== T * 3 * C) throw new RangeError(`QKV has ${qkv.length} values, expected ${T}·${3 * C}`);
  if (h0 < 0 || count < 1 || h0 + count > H) throw new RangeError(`heads ${h0} … ${h0 + count - 1} of ${H}`);
  const part = (block: number) => {
    const out = new Float32Array(count * T * d);
    for (let h = 0; h < count; h++)
      for (let t = 0; t < T; t++) {
        const src = t * 3 * C + block * C + (h0 + h) * d;
        out.set(qkv.subarray(src, src + d), (h * T + t) * d);
      }
    return out;
  };
  return { shape: { heads: count, L: T, d }, q: part(0), k: part(1), v: part(2) };
}

/** The heads the stage views run: `count` heads from `first` (model numbering, from 0). */
export interface HeadWindow {
  first: number;
  count: number;
}

/**
 * The block of at most `max` heads (the attention kernels' limit) that holds `head` of a model with H heads:
 * blocks 0 … max − 1, max … 2·max − 1, …; `head` is clamped to 0 … H − 1 first.
 */
export function headWindow(head: number, H: number, max: number): HeadWindow {
  const h = Math.max(0, Math.min(H - 1, Math.floor(head)));
  const first = Math.floor(h / max) * max;
  return { first, count: Math.min(max, H - first) };
}

/**
 * What the stage views of a GPT-2 run say about the controls: a clamped layer or head, the block of heads
 * shown, and the lab controls the model does not have (mask, ALiBi, scale).
 */
export function stageNotes(
  p: Pick<AttentionState, 'layer' | 'head' | 'mask' | 'bias' | 'scale'>,
  config: Pick<Gpt2Config, 'nLayer' | 'nHead' | 'nEmbd'>,
  layer: number,
  win: HeadWindow,
): string[] {
  const { nLayer, nHead: H, nEmbd: C } = config;
  const notes: string[] = [];
  if (layer !== p.layer) notes.push(msg(str`This model has ${nLayer} layers; showing layer ${layer}.`));
  if (p.head >= H) {
    const [last, asked] = [H - 1, p.head];
    notes.push(
      msg(str`This model has ${H} heads (0 … ${last}); head ${asked} does not exist, showing head ${last}.`),
    );
  }
  if (win.count < H) {
    const [from, to] = [win.first + 1, win.first + win.count];
    notes.push(
      msg(
        str`The stage views show heads ${from} … ${to} of ${H} (numbered from 1), the block holding the selected head; click any map of the grid above to show its block.`,
      ),
    );
  }
  if (p.mask !== 'causal')
    notes.push(
      msg(
        'GPT-2 was trained with the causal mask: with this mask the stage views show weights the model never saw. The grid, scores and next tokens always use the causal mask.',
      ),
    );
  if (p.bias !== 'none')
    notes.push(msg('The ALiBi bias is not part of GPT-2; the grid and scores ignore it.'));
  if (p.scale > 0) {
    const d = C / H;
    notes.push(msg(str`GPT-2 uses scale 1/√${d}; the grid and scores ignore the scale override.`));
  }
  return notes;
}

export interface HeadRow extends HeadScores {
  layer: number;
  head: number;
}

export const HEAD_COLUMNS = ['layer', 'head', 'previous', 'first', 'self', 'distance'] as const;
export type HeadColumn = (typeof HEAD_COLUMNS)[number];
/** The table's column headers (a function: msg() answers in the language of the moment). */
export function headColumnLabels(): Record<HeadColumn, string> {
  return {
    layer: msg('Layer'),
    head: msg('Head'),
    previous: msg('Previous token'),
    first: msg('First token (sink)'),
    self: msg('Self'),
    distance: msg('Mean distance'),
  };
}

/** Scores of every head of every layer from full maps (per layer [H][T][T]). */
export function headRows(attention: readonly Float32Array[], H: number): HeadRow[] {
  return attention.flatMap((a, layer) => headScores(a, H).map((s, head) => ({ layer, head, ...s })));
}

export interface HeadSort {
  column: HeadColumn;
  descending: boolean;
}

/** Rows sorted by one column (ties: layer, then head, ascending); a new array. */
export function sortHeadRows(rows: readonly HeadRow[], sort: HeadSort): HeadRow[] {
  const sign = sort.descending ? -1 : 1;
  return [...rows].sort(
    (a, b) => sign * (a[sort.column] - b[sort.column]) || a.layer - b.layer || a.head - b.head,
  );
}

/** A header click: the same column flips direction; a new one sorts descending (scores) or ascending (ids). */
export function nextSort(sort: HeadSort, column: HeadColumn): HeadSort {
  if (sort.column === column) return { column, descending: !sort.descending };
  return { column, descending: column !== 'layer' && column !== 'head' };
}

export function headTableCsv(rows: readonly HeadRow[]): CsvRow[] {
  return [
    ['layer', 'head', 'previous_token', 'first_token', 'self', 'mean_distance'],
    ...rows.map((r) => [r.layer, r.head, r.previous, r.first, r.self, r.distance]),
  ];
}

export interface NextToken {
  id: number;
  token: string;
  p: number;
}

/** [H·S·S] → [head][query][key] as plain arrays. */
function nestMaps(a: Float32Array, H: number, S: number): number[][][] {
  return Array.from({ length: H }, (_, h) =>
    Array.from({ length: S }, (_, q) => Array.from(a.subarray((h * S + q) * S, (h * S + q + 1) * S))),
  );
}

/** Why full maps of this run cannot be exported, or null. */
export function exportRefusal(config: Gpt2Config, T: number, pooled: boolean, maxT: number): string | null {
  if (pooled || T > maxT)
    return msg(
      str`The model attention export holds full maps only, up to ${maxT} tokens; this text has ${T}.`,
    );
  const { nLayer, nHead } = config;
  const values = nLayer * nHead * T * T;
  if (values > GPT2_EXPORT_MAX_VALUES) {
    const n = formatCount(values);
    const max = formatCount(GPT2_EXPORT_MAX_VALUES);
    return msg(
      str`The export would hold ${n} weights (${nLayer} layers · ${nHead} heads · ${T}²); at most ${max}.`,
    );
  }
  return null;
}

/** The "Export model attention (JSON)" document (full maps, per layer [H][T][T]). */
export function gpt2AttentionJson(
  config: Gpt2Config,
  run: { ids: readonly number[]; tokens: readonly string[]; attention: readonly Float32Array[] },
  next: readonly NextToken[],
  backend: string,
): Record<string, unknown> {
  const T = run.ids.length;
  const { nLayer, nHead, nEmbd, vocab, nPositions } = config;
  return {
    lab: 'attention',
    model: { kind: 'gpt2', nLayer, nHead, nEmbd, vocab, nPositions },
    tokens: [...run.tokens],
    ids: [...run.ids],
    attention: run.attention.map((a) => nestMaps(a, nHead, T)),
    next: next.map(({ id, token, p }) => ({ id, token, p })),
    backend,
  };
}
