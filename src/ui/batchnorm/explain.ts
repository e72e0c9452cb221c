/**
 * "What BatchNorm does": the normalisation, the two accounts of why it helps, and the high-learning-rate
 * demo — its numbers measured in this run (peak and recent loss of both networks against the loss of a
 * constant guess, and whether the shown unit's band has collapsed), never quoted from elsewhere.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import type { BatchnormState } from '../../state/batchnorm';
import { formatFixed } from '../../util/format';
import { backendName } from '../common/backend';
import type { Column } from './history';
import type { BatchnormSession } from './session';

/** Steps averaged for "recent" loss. */
const RECENT = 20;
/** A recent mean loss this close to ln(classes) counts as the constant guess's. */
const CONSTANT_GUESS_BAND = 0.02;

function peak(c: Column): { value: number; step: number } {
  let step = 0;
  const v = c.values;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[step]!) step = i;
  return { value: v[step] ?? NaN, step };
}

function recent(c: Column): number {
  const v = c.values.subarray(Math.max(0, c.length - RECENT));
  return v.reduce((a, b) => a + b, 0) / v.length;
}

/** This run's numbers for the demo paragraph (nothing before the first training step). */
function measured(s: BatchnormSession, p: BatchnormState): TemplateResult | typeof nothing {
  const h = s.history;
  const r = s.latest;
  if (h.steps === 0 || !r) return nothing;
  const classes = s.images?.classes.length ?? 2;
  const guess = Math.log(classes);
  const [bnPeak, plainPeak] = [peak(h.loss.withBN), peak(h.loss.withoutBN)];
  const [bnRecent, plainRecent] = [recent(h.loss.withBN), recent(h.loss.withoutBN)];
  const n = Math.min(RECENT, h.steps);
  const stuck = Math.abs(plainRecent - guess) < CONSTANT_GUESS_BAND;
  const [lo, , hi] = r.percentiles.withoutBN;
  const collapsed = lo === hi;
  const f = (v: number) => formatFixed(v, 3);
  const backend = s.backend ? backendName(s.backend) : '…';
  const [plainMax, plainAt, plainMean] = [f(plainPeak.value), plainPeak.step, f(plainRecent)];
  const [bnMax, bnAt, bnMean] = [f(bnPeak.value), bnPeak.step, f(bnRecent)];
  const g = f(guess);
  const [unit, layer, low] = [r.percentiles.unit, r.percentiles.layer, f(lo)];
  const reluOff = lo <= 0 && p.activation === 'relu';
  return html`<p class="measured" data-measured="high-lr">
    ${msg(
      html`<strong>Measured in this run</strong> (learning rate ${p.lr}, ${p.depth} hidden layers, ${h.steps}
        steps on the ${backend} backend): the plain network's batch loss peaked at ${plainMax} (step
        ${plainAt}) and averaged ${plainMean} over the last ${n} steps; the BN network's peaked at ${bnMax}
        (step ${bnAt}) and averaged ${bnMean}.`,
    )}
    ${
      stuck
        ? msg(
            str`A constant guess over ${classes} classes has loss ln ${classes} ≈ ${g}, which is where the plain network sits: it has stopped learning.`,
          )
        : msg(str`A constant guess over ${classes} classes has loss ln ${classes} ≈ ${g}.`)
    }
    ${
      !collapsed
        ? nothing
        : reluOff
          ? msg(
              str`The plain network's band for unit ${unit} of layer ${layer} has collapsed to a line (15th = 85th percentile = ${low}): at least 70% of the batch gives that unit the same input, ≤ 0, so its ReLU is off for all of them.`,
            )
          : msg(
              str`The plain network's band for unit ${unit} of layer ${layer} has collapsed to a line (15th = 85th percentile = ${low}): at least 70% of the batch gives that unit the same input.`,
            )
    }
  </p>`;
}

export function renderExplanation(s: BatchnormSession, p: BatchnormState): TemplateResult {
  return html`<section class="panel explain" aria-label=${msg('What BatchNorm does')}>
    <h3>${msg('What BatchNorm does, and two accounts of why it helps')}</h3>
    <p>
      ${msg(
        'For each channel, BatchNorm subtracts the mean over the batch and divides by the batch standard deviation, x̂ = (x − μ_B)/√(σ²_B + ε); then a learnable scale and shift give y = γx̂ + β, so the layer can still represent any mean and spread it needs. The bars above show it: before BN the channel means and variances wander; after BN they sit at 0 and 1. At inference a single example has no batch, so BN keeps running averages of μ and σ² during training and uses those in eval mode — switch to "eval" to see that the batch\'s x̂ is then only approximately standardised.',
      )}
    </p>
    <p>
      ${msg(
        html`<strong>Reducing internal covariate shift</strong> (Ioffe &amp; Szegedy, 2015): as earlier layers
          train, the distribution of each layer's input keeps moving, and BN pins its first two moments —
          compare how the percentile bands of the two networks move as training proceeds.
          <strong>A smoother loss landscape</strong> (Santurkar et al., 2018): they showed that BN networks
          train well even when noise is injected to re-create covariate shift, and argued that BN instead
          makes the loss and its gradients more Lipschitz, so larger learning rates are stable. Press “High
          learning rate demo” (two spirals, learning rate 0.3, 5 hidden layers, seed 1) and train: the plain
          network's loss typically blows up after its first updates and can then stall at the loss of a
          constant guess, when its ReLUs have died (the percentile band of the fifth layer collapses to a
          line), while the BN network keeps learning. At lower learning rates compare again: a shallow MLP
          trained with Adam need not benefit from BN, and each batch's statistics add noise. Neither account
          is the whole story; the plots show the effects both describe.`,
      )}
    </p>
    ${measured(s, p)}
  </section>`;
}
