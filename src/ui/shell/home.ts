import { html, css } from 'lit';
import { customElement } from 'lit/decorators.js';
import { sharedStyles } from '../common/styles';
import { KsElement } from '../common/localized';

const QUESTIONS: Array<{ q: string; lab: string; href: string; line: string }> = [
  {
    q: 'A uniform generator on [0, 1): its mean and variance? How do you make it mean 0, variance 1?',
    lab: 'Random numbers',
    href: '#/random',
    line: 'Draw up to 10⁷ Philox numbers on the GPU and watch E = ½, Var = 1/12, then (u − ½)·√12.',
  },
  {
    q: 'Write masked attention: scores = QKᵀ/√d, masked_fill(−∞), softmax, weights·V.',
    lab: 'Masked attention',
    href: '#/attention',
    line: 'Toggle the causal mask and read every stage’s weights, computed by WGSL kernels.',
  },
  {
    q: 'Explain the principle of diffusion models and write their pseudocode.',
    lab: 'Diffusion',
    href: '#/diffusion',
    line: 'Noise data forward, then step DDPM / DDIM back to samples, each step a few GPU dispatches in one submit.',
  },
  {
    q: 'What does BatchNorm do, and why does it work?',
    lab: 'BatchNorm',
    href: '#/batchnorm',
    line: 'Train two networks side by side and watch activation statistics before and after BN.',
  },
  {
    q: 'Describe a recommendation pipeline. If a user’s taste is narrow, how do you recommend diversely yet accurately?',
    lab: 'Recommendation',
    href: '#/recommend',
    line: 'Run recall → pre-rank → MLP rank → re-rank for 256 users on the GPU; sweep MMR, DPP and calibration and read the accuracy–diversity curve.',
  },
];

/** Start page: the interview questions the labs answer, one line each. */
@customElement('ks-home')
export class KsHome extends KsElement {
  static override styles = [
    sharedStyles,
    css`
      ul {
        list-style: none;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(280px, 1fr));
        gap: 1rem;
      }
      li a {
        display: block;
        height: 100%;
        text-decoration: none;
        color: inherit;
      }
      li a:hover .panel {
        border-color: var(--ks-primary);
      }
      .q {
        font-style: italic;
        color: var(--ks-muted);
      }
      .lab {
        font-weight: 700;
        font-size: 1.1rem;
        color: var(--ks-primary);
      }
    `,
  ];

  override render() {
    return html`
      <h2>Kernelscope</h2>
      <p class="lede">
        The core computations of modern machine learning, computed on your GPU in f32 with WebGPU compute
        shaders and drawn as they run. Each lab answers an interview question by computing it; the tests hold
        every GPU result to a float64 reference (about 1e-6 relative, the precision of f32).
      </p>
      <ul>
        ${QUESTIONS.map(
          (x) =>
            html`<li>
              <a href=${x.href}
                ><div class="panel">
                  <div class="lab">${x.lab}</div>
                  <p class="q">“${x.q}”</p>
                  <p>${x.line}</p>
                </div></a
              >
            </li>`,
        )}
      </ul>
    `;
  }
}
