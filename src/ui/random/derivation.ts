/** The Random lab's derivation panel: why E[u] = ½ and Var[u] = 1/12, and how to standardise. */
import { html, nothing, type TemplateResult } from 'lit';
import { msg } from '@lit/localize';
import type { Transform } from '../../kernels/random/spec';

export function renderDerivation(transform: Transform): TemplateResult {
  return html`<section class="panel derivation" aria-label=${msg('Derivation')}>
    <h3>${msg('The derivation')}</h3>
    <ol>
      <li>
        ${msg(html`For u uniform on [0, 1): E[u] = ∫₀¹ x dx = <b>1/2</b>, and E[u²] = ∫₀¹ x² dx = 1/3.`)}
      </li>
      <li>
        ${msg(
          html`Var[u] = E[u²] − E[u]² = 1/3 − 1/4 = <b>1/12</b> ≈ 0.083333 (standard deviation 1/√12 ≈
            0.288675).`,
        )}
      </li>
      <li>
        ${msg(
          html`So z = (u − 1/2)·√12 has mean 0 and variance 12·(1/12) = <b>1</b> — still uniform, now on [−√3,
            √3), with excess kurtosis −6/5.`,
        )}
      </li>
      ${
        transform === 'irwin-hall'
          ? html`<li>
              ${msg(
                'Irwin–Hall: the sum of 12 independent uniforms has mean 12·½ = 6 and variance 12·(1/12) = 1, so Σ u − 6 has mean 0, variance 1, and by the central limit theorem is nearly normal (excess kurtosis −1/10, bounded by ±6).',
              )}
            </li>`
          : nothing
      }
      ${
        transform === 'box-muller'
          ? html`<li>
              ${msg(
                'Box–Muller: with u₁ in (0, 1] and u₂ in [0, 1), r = √(−2 ln u₁) and θ = 2πu₂ − π give r cos θ and r sin θ, two independent exact N(0, 1) draws.',
              )}
            </li>`
          : nothing
      }
      <li class="muted">
        ${msg(
          'In f32 the GPU maps a 32-bit word w to (w ≫ 8)·2⁻²⁴: exact, never 1. Its mean is ½ − 2⁻²⁵, a bias far below the standard error for any count here.',
        )}
      </li>
    </ol>
  </section>`;
}
