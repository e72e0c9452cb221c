import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { customElement, query } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { Task } from '@lit/task';
import { renderHistogram } from '../../charts/histogram';
import { RandomEngine, type RandomResult } from '../../engine/random';
import { MAX_COUNT_CPU, TRANSFORMS, type Transform } from '../../kernels/random/spec';
import { standardErrors, theory } from '../../kernels/random/theory';
import { formatBytes } from '../../gpu/limits';
import type { Store } from '../../state/store';
import type { RandomState } from '../../state/random';
import { LabController, storeContext } from '../common/controllers';
import { runtimeContext, type Runtime } from '../common/runtime';
import {
  downloadCsv,
  downloadJson,
  downloadSvg,
  downloadSvgAsPng,
  tableRecords,
  type CsvRow,
  reportExport,
} from '../common/export';
import { sharedStyles } from '../common/styles';
import { ProgressController } from '../common/progress';
import { isAbortError } from '../../gpu/compute';
import { randomLabStyles } from './styles';

const TRANSFORM_LABELS: Record<Transform, string> = {
  uniform: 'Uniform [0, 1)',
  standardized: 'Standardized (u − ½)·√12',
  'irwin-hall': 'Irwin–Hall: Σ₁₂ u − 6',
  'box-muller': 'Box–Muller normal',
};

/** The rows of the moments table (label, key into Moments / theory / standard errors). */
const MOMENT_ROWS = [
  ['Mean', 'mean'],
  ['Variance', 'variance'],
  ['Skewness', 'skewness'],
  ['Excess kurtosis', 'excessKurtosis'],
] as const;

const COUNTS = [1_000, 10_000, 100_000, 1_000_000, 10_000_000];
const BINS = [16, 32, 64, 128, 256, 512, 1024];

interface LabRun {
  result: RandomResult;
  backendLabel: string;
  /** Set when the CPU ran fewer samples than asked for. */
  reducedFrom?: number;
  notice?: string;
}

/** The Random lab (#/random): uniform generator moments, standardisation, histogram vs density. */
@customElement('ks-random-lab')
export class RandomLab extends LitElement {
  static override styles = [sharedStyles, randomLabStyles];

  @consume({ context: storeContext }) store!: Store;
  @consume({ context: runtimeContext }) runtime!: Runtime;

  /** The lab's controls (params), the backend choice and GPU status re-renders; set() changes controls. */
  private lab = new LabController(this, 'random');

  @query('svg.histogram') private svg!: SVGSVGElement;

  /** Status line, bar and Cancel while a run takes long (10⁷ values generate in batches). */
  private progress = new ProgressController(this);

  /** The last run that completed (Task.value is cleared when a run fails or is cancelled). */
  private lastRun: LabRun | undefined;

  private task = new Task(this, {
    onComplete: (run: LabRun) => {
      this.lastRun = run;
    },
    args: () => [this.lab.params, this.lab.backend, this.runtime.generation] as const,
    task: async ([params, backend], { signal }): Promise<LabRun> => {
      const control = this.progress.begin(signal);
      try {
        return await this.compute(params, backend, control);
      } finally {
        this.progress.end(control.run);
      }
    },
  });

  private async compute(
    params: RandomState,
    backend: string,
    control: ReturnType<ProgressController['begin']>,
  ): Promise<LabRun> {
    const request = {
      transform: params.transform,
      seed: params.seed,
      count: params.count,
      bins: params.bins,
    };
    let notice: string | undefined;
    if (backend === 'gpu') {
      const ctx = await this.runtime.gpu();
      if (ctx) {
        const engine = this.runtime.engine(ctx, 'random', (c) => new RandomEngine(c));
        const result = await engine.run(request, control);
        return {
          result,
          backendLabel: this.runtime.status.kind === 'ready' ? this.runtime.status.name : 'GPU',
        };
      }
      notice = 'WebGPU is not available, so the CPU reference computed this.';
    }
    const count = Math.min(params.count, MAX_COUNT_CPU);
    control.onProgress?.({
      phase: 'run',
      message: `Drawing ${count.toLocaleString('en-US')} values on the CPU reference…`,
      done: 0,
      total: 0,
    });
    const job = await this.runtime.cpu.run({ kind: 'random', params: { ...request, count } }, control.signal);
    return {
      result: job.result,
      backendLabel: 'CPU',
      ...(count < params.count ? { reducedFrom: params.count } : {}),
      ...(notice ? { notice } : {}),
    };
  }

  private cancel() {
    this.progress.cancelling();
    this.task.abort(new DOMException('Cancelled by the user.', 'AbortError'));
  }

  override updated(_: PropertyValues): void {
    const run = this.lastRun;
    if (run && this.svg) this.drawChart(run.result);
  }

  private drawChart(result: RandomResult) {
    const t = theory(result.params.transform);
    // The figure's width (the SVG scales down with CSS below 240 px).
    const width = Math.max(240, Math.min(760, this.svg.parentElement?.clientWidth ?? 640));
    renderHistogram(
      this.svg,
      {
        lo: result.spec.lo,
        hi: result.spec.hi,
        counts: result.counts.subarray(0, result.spec.bins),
        total: result.sums.n,
        density: t.density,
        densityLabel: `${t.label} density`,
      },
      {
        width,
        height: 320,
        title: `Histogram of ${result.sums.n.toLocaleString('en-US')} ${TRANSFORM_LABELS[result.params.transform]} samples with the theoretical density`,
        xLabel: 'x',
      },
    );
  }

  private exportMoments(run: LabRun) {
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

  /** The histogram as rows: bin_lo, bin_hi, count (in-range bins, then underflow and overflow). */
  private histogramRows(run: LabRun): CsvRow[] {
    const { spec, counts } = run.result;
    const w = (spec.hi - spec.lo) / spec.bins;
    const rows: CsvRow[] = [['bin_lo', 'bin_hi', 'count']];
    for (let i = 0; i < spec.bins; i++) rows.push([spec.lo + i * w, spec.lo + (i + 1) * w, counts[i]!]);
    rows.push(['-inf', spec.lo, counts[spec.bins]!], [spec.hi, 'inf', counts[spec.bins + 1]!]);
    return rows;
  }

  private exportHistogram(run: LabRun) {
    downloadCsv(`kernelscope-random-histogram-${run.result.params.transform}.csv`, this.histogramRows(run));
  }

  /** The same counts as the CSV, with the run's parameters: {lab, transform, seed, count, lo, hi, bins, counts, underflow, overflow, backend}. */
  private exportHistogramJson(run: LabRun) {
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

  /** The moments table as the page shows it: moment, empirical, theory, standard error, z. */
  private momentRows(run: LabRun): CsvRow[] {
    const { result } = run;
    const t = theory(result.params.transform);
    const se = standardErrors(t, result.sums.n);
    const out: CsvRow[] = [['moment', 'empirical', 'theory', 'standardError', 'z']];
    for (const [label, key] of MOMENT_ROWS) {
      const emp = result.moments[key];
      const th = t[key];
      out.push([label, emp, th, se[key], (emp - th) / se[key]]);
    }
    return out;
  }

  private exportMomentsTable(run: LabRun, format: 'csv' | 'json') {
    const { params, sums } = run.result;
    const base = `kernelscope-random-moments-table-${params.transform}-seed${params.seed}`;
    const rows = this.momentRows(run);
    if (format === 'csv') {
      downloadCsv(`${base}.csv`, rows);
      return;
    }
    downloadJson(`${base}.json`, {
      lab: 'random',
      transform: params.transform,
      seed: params.seed,
      count: sums.n,
      theory: theory(params.transform).label,
      rows: tableRecords(rows),
      backend: run.backendLabel,
    });
  }

  override render() {
    const p = this.lab.params;
    return html`
      <h2>Random numbers: why a uniform generator has mean ½ and variance 1/12</h2>
      <p class="lede">
        A counter-based generator (Philox4x32-10) runs in a WGSL compute shader; moments and the histogram are
        reduced on the GPU, so only a few hundred bytes come back however many samples you draw.
      </p>
      <section class="panel controls" aria-label="Random lab controls">
        <label class="field"
          >Seed
          <input
            type="number"
            min="0"
            max="4294967295"
            step="1"
            .value=${String(p.seed)}
            @change=${(e: Event) => this.onSeed(e)}
        /></label>
        <button @click=${() => this.lab.set({ seed: Math.floor(Math.random() * 2 ** 32) })}>New seed</button>
        <label class="field"
          >Sample count
          <select
            @change=${(e: Event) => this.lab.set({ count: Number((e.target as HTMLSelectElement).value) })}
          >
            ${[...new Set([...COUNTS, p.count])]
              .sort((a, b) => a - b)
              .map(
                (c) =>
                  html`<option value=${c} .selected=${c === p.count}>${c.toLocaleString('en-US')}</option>`,
              )}
          </select></label
        >
        <label class="field"
          >Transform
          <select
            @change=${(e: Event) => this.lab.set({ transform: (e.target as HTMLSelectElement).value as Transform })}
          >
            ${TRANSFORMS.map((t) => html`<option value=${t} .selected=${t === p.transform}>${TRANSFORM_LABELS[t]}</option>`)}
          </select></label
        >
        <label class="field"
          >Bins
          <select
            @change=${(e: Event) => this.lab.set({ bins: Number((e.target as HTMLSelectElement).value) })}
          >
            ${[...new Set([...BINS, p.bins])]
              .sort((a, b) => a - b)
              .map((b) => html`<option value=${b} .selected=${b === p.bins}>${b}</option>`)}
          </select></label
        >
        <button @click=${() => this.task.run()}>Run again</button>
      </section>
      ${this.progress.renderStatus(() => this.cancel())}
      ${this.task.render({
        pending: () =>
          this.lastRun ? this.renderResult(this.lastRun, true) : html`<p role="status">Computing…</p>`,
        complete: (run) => this.renderResult(run, false),
        error: (e) =>
          html`${
            isAbortError(e)
              ? html`<p class="notice cancelled" role="status">
                  Cancelled.
                  ${
                    this.lastRun
                      ? 'Showing the last completed result; “Run again” or any change computes anew.'
                      : 'Nothing was computed yet; “Run again” starts it.'
                  }
                </p>`
              : html`<p class="error" role="alert">Could not compute: ${(e as Error).message}</p>`
          }
          ${this.lastRun ? this.renderResult(this.lastRun, false) : nothing}`,
      })}
    `;
  }

  private onSeed(e: Event) {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) this.lab.set({ seed: v });
    else input.value = String(this.lab.params.seed);
  }

  private renderResult(run: LabRun, stale: boolean) {
    const { result } = run;
    const t = theory(result.params.transform);
    const n = result.sums.n;
    const se = standardErrors(t, n);
    const rows = MOMENT_ROWS.map(([label, key]) => [label, key, result.moments[key], t[key]] as const);
    const generated = formatBytes(n * 4);
    return html`
      <div class="results ${stale ? 'stale' : ''}" aria-busy=${stale ? 'true' : 'false'}>
        ${run.notice ? html`<p class="notice" role="status">${run.notice}</p>` : nothing}
        ${
          run.reducedFrom
            ? html`<p class="notice" role="status">
                The CPU backend draws at most ${MAX_COUNT_CPU.toLocaleString('en-US')} samples; showing
                ${n.toLocaleString('en-US')} of the ${run.reducedFrom.toLocaleString('en-US')} asked for.
              </p>`
            : nothing
        }
        <div class="grid">
          <figure class="panel chart">
            <svg class="histogram"></svg>
            <figcaption>
              ${n.toLocaleString('en-US')} samples of ${TRANSFORM_LABELS[result.params.transform]},
              ${result.spec.bins} bins on [${fmt(result.spec.lo, 3)}, ${fmt(result.spec.hi, 3)});
              ${result.counts[result.spec.bins]! + result.counts[result.spec.bins + 1]!} outside the range.
              <span class="buttons">
                <button
                  @click=${() => reportExport(downloadSvgAsPng('kernelscope-random-histogram.png', this.svg))}
                >
                  Export histogram (PNG)
                </button>
                <button @click=${() => downloadSvg('kernelscope-random-histogram.svg', this.svg)}>
                  Export histogram (SVG)
                </button>
                <button @click=${() => this.exportHistogram(run)}>Export histogram (CSV)</button>
                <button @click=${() => this.exportHistogramJson(run)}>Export histogram (JSON)</button>
              </span>
            </figcaption>
          </figure>
          <section class="panel moments">
            <table aria-label="Moments">
              <caption>
                Empirical moments against theory (${t.label})
              </caption>
              <thead>
                <tr>
                  <th scope="col">Moment</th>
                  <th scope="col">Empirical</th>
                  <th scope="col">Theory</th>
                  <th scope="col">Std. error</th>
                  <th scope="col">z</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(([label, key, emp, th]) => {
                  const z = (emp - th) / se[key];
                  return html`<tr data-moment=${key}>
                    <th scope="row">${label}</th>
                    <td class="empirical" data-value=${emp}>${fmt(emp, 6)}</td>
                    <td class="theory" data-value=${th}>${fmt(th, 6)}</td>
                    <td class="se" data-value=${se[key]}>${fmt(se[key], 2)}</td>
                    <td class="z ${Math.abs(z) > 3 ? 'far' : ''}">${fmt(z, 2)}</td>
                  </tr>`;
                })}
              </tbody>
            </table>
            <p class="muted small">
              z = (empirical − theory) / standard error; |z| &lt; 3 in about 99.7% of seeds.
            </p>
            <p class="backend-line">
              <span class="badge" title="What computed these numbers">${run.backendLabel}</span>
              ${fmt(result.elapsedMs, 1)} ms · generated ${generated} · read back
              ${result.bytesRead ? formatBytes(result.bytesRead) : 'nothing (CPU)'}
            </p>
            <span class="buttons">
              <button class="primary" @click=${() => this.exportMoments(run)}>Export moments (JSON)</button>
              <button @click=${() => this.exportMomentsTable(run, 'csv')}>Export moments table (CSV)</button>
              <button @click=${() => this.exportMomentsTable(run, 'json')}>
                Export moments table (JSON)
              </button>
            </span>
          </section>
        </div>
        ${this.renderDerivation(result.params.transform)}
      </div>
    `;
  }

  private renderDerivation(transform: Transform) {
    return html`<section class="panel derivation" aria-label="Derivation">
      <h3>The derivation</h3>
      <ol>
        <li>For u uniform on [0, 1): E[u] = ∫₀¹ x dx = <b>1/2</b>, and E[u²] = ∫₀¹ x² dx = 1/3.</li>
        <li>
          Var[u] = E[u²] − E[u]² = 1/3 − 1/4 = <b>1/12</b> ≈ 0.083333 (standard deviation 1/√12 ≈ 0.288675).
        </li>
        <li>
          So z = (u − 1/2)·√12 has mean 0 and variance 12·(1/12) = <b>1</b> — still uniform, now on [−√3, √3),
          with excess kurtosis −6/5.
        </li>
        ${
          transform === 'irwin-hall'
            ? html`<li>
                Irwin–Hall: the sum of 12 independent uniforms has mean 12·½ = 6 and variance 12·(1/12) = 1,
                so Σ u − 6 has mean 0, variance 1, and by the central limit theorem is nearly normal (excess
                kurtosis −1/10, bounded by ±6).
              </li>`
            : nothing
        }
        ${
          transform === 'box-muller'
            ? html`<li>
                Box–Muller: with u₁ in (0, 1] and u₂ in [0, 1), r = √(−2 ln u₁) and θ = 2πu₂ − π give r cos θ
                and r sin θ, two independent exact N(0, 1) draws.
              </li>`
            : nothing
        }
        <li class="muted">
          In f32 the GPU maps a 32-bit word w to (w ≫ 8)·2⁻²⁴: exact, never 1. Its mean is ½ − 2⁻²⁵, a bias
          far below the standard error for any count here.
        </li>
      </ol>
    </section>`;
  }
}

function fmt(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 10 ** -digits) return x.toExponential(2);
  return x.toFixed(digits);
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-random-lab': RandomLab;
  }
}
