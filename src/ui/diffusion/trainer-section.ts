/**
 * The section around the training panel (<ks-denoiser-trainer>): it trains the ε-MLP on the current 2D
 * data in this page; its 'denoiser-trained' events feed the "Trained in this page" denoiser.
 */
import { html, nothing } from 'lit';
import type { GpuContext } from '../../gpu/device';
import { isImageDataset, type DiffusionState } from '../../state/diffusion';
import { formatCount } from '../../util/format';
import { DENOISER_LABELS, trainingData } from './inputs';
import type { TrainedModel } from './session';
import './train-panel';

export function renderTrainer(p: DiffusionState, gpu: GpuContext | null, trained: TrainedModel | undefined) {
  if (isImageDataset(p.dataset)) return nothing;
  const { data } = trainingData(p);
  return html`<section class="panel trainer" aria-label="Train a denoiser in this page">
    <h3>Train a denoiser in this page</h3>
    <p class="small muted">
      Trains the same ε-prediction MLP as the shipped weights on this data (${formatCount(data.length / 2)}
      points), ${gpu ? 'in WGSL on the GPU' : 'on the CPU'}; choose “${DENOISER_LABELS.trained}” as the
      denoiser to sample with it — the chain is re-run with each snapshot, so the samples improve as it
      trains.
      ${
        trained
          ? html`Latest model: step ${trained.step} of ${trained.totalSteps}, loss
            ${trained.loss.toPrecision(3)}${trained.done ? ' (done)' : ''}.`
          : nothing
      }
    </p>
    ${
      data.length >= 2
        ? html`<ks-denoiser-trainer
            .gpu=${gpu}
            .data=${data}
            .dataset=${p.dataset as string & DOMStringMap}
            .seed=${p.seed}
          ></ks-denoiser-trainer>`
        : html`<p class="small muted">Draw some points first.</p>`
    }
  </section>`;
}
