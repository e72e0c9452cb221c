/**
 * The Diffusion lab's explanations: the sampling and training pseudocode (the chain's line highlighted) and
 * the note on the exact denoiser and the trained MLP, whose description comes from the shipped weight
 * file's header (architecture, training points, steps, batch, final loss, trainer).
 */
import { html, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import type { MlpModel } from '../../engine/diffusion';
import type { DiffusionDataset, DiffusionSamplerChoice } from '../../state/diffusion';
import { formatCount } from '../../util/format';
import { samplerLabel } from './chain';
import { datasetLabels, denoiserLabels } from './inputs';
import { hasShippedMlp, loadShippedMlp, mlpFacts, type MlpFacts } from './models';
import { currentSamplingLine, samplingLines, trainingLines } from './pseudocode';

/** Leading spaces of a pseudocode line as left padding (the template's own whitespace is collapsed). */
function indent(line: string): string {
  const spaces = line.length - line.trimStart().length;
  return `padding-left: ${spaces}ch`;
}

export function renderPseudocode(
  sampler: DiffusionSamplerChoice,
  forwardT: number | null,
  stepIndex: number,
  t: number,
): TemplateResult {
  const lines = samplingLines(sampler, forwardT);
  const current = currentSamplingLine(stepIndex, t);
  const name = samplerLabel(sampler);
  return html`<section class="panel" aria-label=${msg('Pseudocode')}>
    <h3>${msg(str`Sampling (${name}) — the chain is on the highlighted line`)}</h3>
    <ol class="code">
      ${lines.map(
        (l, i) =>
          html`<li
            class=${i === current ? 'current' : ''}
            aria-current=${i === current ? 'step' : 'false'}
            style=${indent(l)}
          >
            ${l.trim()}
          </li>`,
      )}
    </ol>
    <h3>${msg('Training (DDPM, Ho et al. 2020, Algorithm 1)')}</h3>
    <ol class="code">
      ${trainingLines().map((l) => html`<li style=${indent(l)}>${l.trim()}</li>`)}
    </ol>
    <p class="small muted">
      ${msg('The exact denoiser needs no training: it is the minimiser of this loss for the empirical data.')}
    </p>
  </section>`;
}

/**
 * The shipped model of the dataset on screen, for its description: fetched once per dataset (the same
 * cached fetch the denoiser uses); a failed fetch is not retried here and the note says less.
 */
export class ShippedModelInfo {
  private readonly models = new Map<string, MlpModel | null>();

  constructor(private readonly host: ReactiveControllerHost) {}

  facts(dataset: DiffusionDataset): MlpFacts | null {
    if (!hasShippedMlp(dataset)) return null;
    if (!this.models.has(dataset)) {
      this.models.set(dataset, null);
      loadShippedMlp(dataset).then(
        (model) => {
          this.models.set(dataset, model);
          this.host.requestUpdate();
        },
        () => undefined,
      );
    }
    const model = this.models.get(dataset);
    return model ? mlpFacts(model) : null;
  }
}

/** A small count in words ("no", "one", … "nine"; digits from 10 on), in the interface language. */
function countWord(n: number): string {
  const words = [
    msg('no'),
    msg('one'),
    msg('two'),
    msg('three'),
    msg('four'),
    msg('five'),
    msg('six'),
    msg('seven'),
    msg('eight'),
    msg('nine'),
  ];
  return words[n] ?? String(n);
}

/** "three residual SiLU layers of width 64; for “Two moons” trained on 4,000 points for 12,000 steps …". */
function describeMlp(dataset: DiffusionDataset, f: MlpFacts): TemplateResult {
  const [count, width] = [countWord(f.blocks), f.hidden];
  const layers =
    f.blocks === 1
      ? msg(str`${count} residual SiLU layer of width ${width}`)
      : msg(str`${count} residual SiLU layers of width ${width}`);
  const training = [
    f.points !== undefined ? msg(str` on ${formatCount(f.points)} points`) : '',
    f.trainSteps !== undefined ? msg(str` for ${formatCount(f.trainSteps)} steps`) : '',
    f.batch !== undefined ? msg(str` at batch ${f.batch}`) : '',
  ].join('');
  const record = [
    f.finalLoss !== undefined ? msg(str`final loss ${f.finalLoss.toPrecision(3)}`) : '',
    f.trainer ? msg(str`trainer: ${f.trainer}`) : '',
  ].filter(Boolean);
  const recorded = record.length ? msg(str` (${record.join(msg('; '))})`) : '';
  const name = datasetLabels()[dataset];
  return msg(
    html`(sinusoidal embeddings of x_t and of the log-SNR, ${layers}); the weights for “${name}” were
      trained${training}${recorded} by <span class="mono">npm run train:diffusion</span>, as their file's
      header records`,
  );
}

export function renderDenoiserNote(dataset: DiffusionDataset, facts: MlpFacts | null): TemplateResult {
  const model = facts
    ? describeMlp(dataset, facts)
    : hasShippedMlp(dataset)
      ? msg(html`trained by <span class="mono">npm run train:diffusion</span>`)
      : msg(
          html`trained by <span class="mono">npm run train:diffusion</span> for the 2D data sets that ship
            weights (not for this one)`,
        );
  const trainedHere = denoiserLabels().trained;
  return html`<section class="panel" aria-label=${msg('The exact denoiser')}>
    <h3>${msg('The exact denoiser is attention')}</h3>
    <p>
      ${msg(
        html`For training points x₁…x_M the best possible denoiser is E[x₀ | x_t] = Σᵢ softmaxᵢ(−‖x_t − √ᾱ_t
        xᵢ‖² / (2(1 − ᾱ_t))) xᵢ, and then ε̂ = (x_t − √ᾱ_t x̂₀)/√(1 − ᾱ_t).`,
      )}
    </p>
    <p>
      ${msg(
        html`That is <strong>attention</strong> with x_t as the query and the data as keys and values: the
          logits are negative squared distances scaled by 1/(2(1 − ᾱ_t)). The WGSL shares the attention lab's
          online-softmax snippet (shaders/common), one query per particle streaming over the data.`,
      )}
    </p>
    <p>
      ${msg(
        html`As t → 0 the softmax sharpens to the nearest training point, so the chain
          <strong>memorises</strong>: run to t = 0 and the samples land on training points (the pane reports
          the measured fraction). A trained network can generalise because it cannot represent this function
          exactly.`,
      )}
    </p>
    <p>
      ${msg(
        html`The <strong>trained MLP</strong> is that network: an ε-prediction model ${model}. It runs in WGSL
          on the GPU and in the float64 reference on the CPU. “${trainedHere}” uses the model the training
          panel produces.`,
      )}
    </p>
  </section>`;
}
