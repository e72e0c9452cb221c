/**
 * The section around the training panel (<ks-denoiser-trainer>): it trains the ε-MLP on the current 2D
 * data in this page; its 'denoiser-trained' events feed the "Trained in this page" denoiser.
 */
import { html, nothing } from 'lit';
import { msg, str } from '@lit/localize';
import type { GpuContext } from '../../gpu/device';
import { isImageDataset, type DiffusionState } from '../../state/diffusion';
import { formatCount } from '../../util/format';
import { denoiserLabels, trainingData } from './inputs';
import type { TrainedModel } from './session';
import './train-panel';

export function renderTrainer(p: DiffusionState, gpu: GpuContext | null, trained: TrainedModel | undefined) {
  if (isImageDataset(p.dataset)) return nothing;
  const { data } = trainingData(p);
  const n = formatCount(data.length / 2);
  const choice = denoiserLabels().trained;
  return html`<section class="panel trainer" aria-label=${msg('Train a denoiser in this page')}>
    <h3>${msg('Train a denoiser in this page')}</h3>
    <p class="small muted">
      ${
        gpu
          ? msg(
              str`Trains the same ε-prediction MLP as the shipped weights on this data (${n} points), in WGSL on the GPU; choose “${choice}” as the denoiser to sample with it — the chain is re-run with each snapshot, so the samples improve as it trains.`,
            )
          : msg(
              str`Trains the same ε-prediction MLP as the shipped weights on this data (${n} points), on the CPU; choose “${choice}” as the denoiser to sample with it — the chain is re-run with each snapshot, so the samples improve as it trains.`,
            )
      }
      ${trained ? latest(trained) : nothing}
    </p>
    ${
      data.length >= 2
        ? html`<ks-denoiser-trainer
            .gpu=${gpu}
            .data=${data}
            .dataset=${p.dataset as string & DOMStringMap}
            .seed=${p.seed}
          ></ks-denoiser-trainer>`
        : html`<p class="small muted">${msg('Draw some points first.')}</p>`
    }
  </section>`;
}

function latest(trained: TrainedModel): string {
  const { step, totalSteps } = trained;
  const loss = trained.loss.toPrecision(3);
  return trained.done
    ? msg(str`Latest model: step ${step} of ${totalSteps}, loss ${loss} (done).`)
    : msg(str`Latest model: step ${step} of ${totalSteps}, loss ${loss}.`);
}
