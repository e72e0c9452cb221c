/**
 * The painted custom mask (keep flags, L·L): component state only, not in the URL. `version` changes when a
 * stroke ends (the lab computes again); `paintVersion` with every painted cell (the heatmap repaints).
 */
import type { ReactiveControllerHost } from 'lit';
import { maskMatrix } from '../../kernels/attention/spec';
import { cellRange } from './matrices';
import type { HeadMatrix, Prepared } from './model';

export class CustomMask {
  keep: Uint8Array | null = null;
  version = 0;
  paintVersion = 0;

  constructor(private readonly host: ReactiveControllerHost) {}

  /** Takes the mask a run started from (causal when none was painted for this L yet). */
  adopt(prepared: Prepared): void {
    if (prepared.mask.kind === 'custom' && prepared.mask.keep !== this.keep) {
      this.keep = prepared.mask.keep;
      this.host.requestUpdate();
    }
  }

  /** Starts again from the causal mask or from keeping every entry; computes anew. */
  reset(L: number, kind: 'causal' | 'none'): void {
    this.keep = maskMatrix({ kind }, L);
    this.commit();
  }

  /** Whether the source entry under displayed cell (row, col) of `m` is kept. */
  keeps(m: HeadMatrix, cell: { row: number; col: number }, L: number): boolean {
    const { q, k } = cellRange(m, cell.row, cell.col);
    return !!this.keep?.[q[0] * L + k[0]];
  }

  /** Sets every source entry under displayed cell (row, col) of `m` to `value` (1 keeps, 0 masks). */
  paint(m: HeadMatrix, cell: { row: number; col: number }, value: 0 | 1, L: number): void {
    const keep = this.keep;
    if (!keep) return;
    const {
      q: [q0, q1],
      k: [k0, k1],
    } = cellRange(m, cell.row, cell.col);
    for (let q = q0; q < q1; q++) for (let k = k0; k < k1; k++) keep[q * L + k] = value;
    this.paintVersion++;
    this.host.requestUpdate();
  }

  /** Ends a stroke: the lab computes with the new mask. */
  commit(): void {
    this.version++;
    this.host.requestUpdate();
  }

  /** 1 where any source entry of a displayed cell of `m` is kept (the heatmap hatches the others). */
  overlay(m: HeadMatrix, L: number): Uint8Array | undefined {
    const keep = this.keep;
    if (!keep || keep.length !== L * L) return undefined;
    const out = new Uint8Array(m.rows * m.cols);
    for (let r = 0; r < m.rows; r++) {
      for (let c = 0; c < m.cols; c++) {
        const {
          q: [q0, q1],
          k: [k0, k1],
        } = cellRange(m, r, c);
        let any = 0;
        for (let q = q0; q < q1 && !any; q++) for (let k = k0; k < k1 && !any; k++) any = keep[q * L + k]!;
        out[r * m.cols + c] = any;
      }
    }
    return out;
  }
}
