/**
 * The Diffusion lab's chain panes: a particle plot with its legend (2D), or the image grids (image mode),
 * each with its caption, the memorisation readout at t = 0 and the pane's exports.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import type { DiffusionState } from '../../state/diffusion';
import { formatCount, formatPercent } from '../../util/format';
import { exportButtons } from '../common/export-buttons';
import { MAX_DRAWN, TRAIL_COUNT, paneLabel, samplerSteps, type ChainPane } from './chain';
import type { DrawingInput } from './drawing';
import { dataExports, sampleExports, scatterExports } from './exports';
import { datasetLabels, denoiserLabels } from './inputs';
import { dataSpacing, memoOf, verdictText, type Memorisation } from './memorisation';
import { SCATTER_VARS } from './paint';
import type { DiffusionSession } from './session';
import './image-view';

export interface PaneContext {
  session: DiffusionSession;
  p: DiffusionState;
  drawing: DrawingInput;
  /** The lab's shadow root (the particle exports find their plot there). */
  root: ParentNode;
}

/** The memorisation readout (at t = 0): how close the final samples are to the training data. */
function renderMemo(pane: ChainPane, memo: Memorisation): TemplateResult {
  const image = pane.dim !== 2;
  const spacing = image ? null : dataSpacing(pane.data, pane.dim);
  const pct = formatPercent(memo.fraction, 1);
  const median = memo.median.toPrecision(2);
  const radius = memo.radius;
  return html`<span class="memo"
    ><strong>${msg('Memorisation:')}</strong> ${
      image
        ? msg(
            str`${pct} of the final samples lie within ${radius} of a training image (RMS distance per pixel) (median distance ${median}):`,
          )
        : msg(
            str`${pct} of the final samples lie within ${radius} of a training point (median distance ${median}):`,
          )
    }
    ${verdictText(memo, image)}${
      spacing !== null && spacing < memo.radius
        ? ' ' +
          msg(
            str`The training points are themselves a median ${spacing.toPrecision(2)} apart, so a sample anywhere on the data's shape counts as within ${radius} without copying a point.`,
          )
        : nothing
    }</span
  >`;
}

function memoOfPane(pane: ChainPane): Memorisation | null {
  const f = pane.frame;
  return f && f.t === 0 && f.positions ? memoOf(f.positions, pane.data, pane.dim) : null;
}

/** "A: DDIM (η = 0) · cosine · Exact … · 20 steps · t = 40" (the pane letter and t only when comparing). */
function paneTitle(c: PaneContext, pane: ChainPane, i: number, extra = ''): TemplateResult {
  const many = c.session.panes.length > 1;
  const { config } = pane;
  const steps = samplerSteps(config.sampler, config.steps, config.T);
  return html`<h3 class="pane-title">
    ${many ? `${i === 0 ? 'A' : 'B'}: ` : ''}${paneLabel(config, c.p.eta)}${
      c.p.compare === 'denoiser' ? ` · ${denoiserLabels()[pane.denoiserUsed]}` : ''
    }
    ·
    ${msg(str`${steps} steps`)}${extra ? ` · ${extra}` : ''}${
      many ? html` · <span class="mono">t = ${pane.frame?.t ?? '…'}</span>` : nothing
    }
  </h3>`;
}

/** The pane's exports: pane A its samples and the tensors on screen, pane B its samples. */
function paneExports(c: PaneContext, pane: ChainPane, i: number, plot: boolean): TemplateResult {
  const samples = [...sampleExports(c.session, i), ...(plot ? scatterExports(c.root, i) : [])];
  return html`${exportButtons(samples)}
  ${i === 0 ? exportButtons(dataExports(c.session, pane), 'buttons data-exports') : nothing}`;
}

/** The legend; every swatch is the CSS custom property its layer is painted with. */
function legend(c: PaneContext, pane: ChainPane): TemplateResult {
  const { p } = c;
  const n = pane.config.particles;
  const item = (cssVar: string, text: string) =>
    html`<span><span class="swatch" style="background: var(${cssVar})"></span>${text}</span>`;
  const drawn = formatCount(Math.min(n, MAX_DRAWN));
  const all = formatCount(n);
  const points = pane.config.points;
  return html`<div class="legend-inline" aria-hidden="true">
    ${item(SCATTER_VARS.points, n > MAX_DRAWN ? msg(str`x_t (${drawn} of ${all} particles)`) : msg(str`x_t (${drawn} particles)`))}
    ${item(p.dataset === 'draw' ? SCATTER_VARS.drawn : SCATTER_VARS.data, msg(str`training data (${points})`))}
    ${p.x0 ? item(SCATTER_VARS.x0, msg('predicted x̂₀')) : nothing}
    ${p.field ? item(SCATTER_VARS.field, msg('denoiser field x → x̂₀')) : nothing}
    ${p.trails ? item(SCATTER_VARS.trail, msg(str`trails of ${TRAIL_COUNT} particles`)) : nothing}
    ${p.density ? item(SCATTER_VARS.density, msg('density of x_t')) : nothing}
  </div>`;
}

function scatterPane(c: PaneContext, pane: ChainPane, i: number): TemplateResult {
  const memo = memoOfPane(pane);
  const { config } = pane;
  const letter = i === 0 ? 'A' : 'B';
  return html`<figure class="panel scatter-pane" aria-label=${msg(str`Pane ${letter}`)}>
    ${paneTitle(c, pane, i)}
    <div class="pane-body">
      <div class="plot">
        ${c.drawing.plotCanvas(i)}
        <svg class="scatter-axes" data-pane=${i}></svg>
      </div>
      <div class="pane-side">
        ${legend(c, pane)}
        <figcaption>
          ${
            memo
              ? renderMemo(pane, memo)
              : msg(
                  str`${datasetLabels()[config.dataset]} · ${denoiserLabels()[pane.denoiserUsed]} · seed ${config.seed} · ${formatCount(config.particles)} particles`,
                )
          }
          ${paneExports(c, pane, i, true)}
        </figcaption>
      </div>
    </div>
  </figure>`;
}

/** Image mode: grids of x_t and x̂₀ (<ks-diffusion-image-view>) instead of the scatter. */
function imagePane(c: PaneContext, pane: ChainPane, i: number): TemplateResult {
  const f = pane.frame;
  const memo = memoOfPane(pane);
  const { config } = pane;
  const size = config.size;
  const letter = i === 0 ? 'A' : 'B';
  const glyphs = pane.data.length / (size * size);
  return html`<figure class="panel image-pane" aria-label=${msg(str`Pane ${letter}`)}>
    ${paneTitle(c, pane, i, msg(str`${size}×${size} images`))}
    <ks-diffusion-image-view
      .size=${size}
      .count=${config.particles}
      .t=${f?.t ?? config.T}
      .xt=${f?.positions ?? null}
      .x0=${f?.x0 ?? null}
      .data=${pane.data}
    ></ks-diffusion-image-view>
    <figcaption>
      ${
        memo
          ? renderMemo(pane, memo)
          : msg(
              str`${datasetLabels()[config.dataset]} (${glyphs} training glyphs rendered from this browser's fonts) · ${denoiserLabels()[pane.denoiserUsed]} · seed ${config.seed} · ${config.particles} images`,
            )
      }
      ${paneExports(c, pane, i, false)}
    </figcaption>
  </figure>`;
}

/** Every pane; in draw mode before the first point, the empty plot to draw on. */
export function renderPanes(c: PaneContext): TemplateResult {
  const { panes } = c.session;
  return html`<div class="panes">
    ${panes.map((pane, i) => (pane.dim === 2 ? scatterPane(c, pane, i) : imagePane(c, pane, i)))}
    ${c.p.dataset === 'draw' && panes.length === 0 ? c.drawing.renderEmptyPane() : nothing}
  </div>`;
}
