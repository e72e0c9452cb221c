import { html, css, nothing } from 'lit';
import { customElement } from 'lit/decorators.js';
import { msg } from '@lit/localize';
import { sharedStyles } from '../common/styles';
import { KsElement } from '../common/localized';

/**
 * The interview questions the labs answer, in the interface language, each with the original Chinese
 * question as the interview write-up (快手机器学习算法工程师一面) words it, quoted on the card in both languages.
 * A function: msg() answers in the language of the moment.
 */
function questions(): Array<{ q: string; original: string[]; lab: string; href: string; line: string }> {
  return [
    {
      q: msg('A uniform generator on [0, 1): its mean and variance? How do you make it mean 0, variance 1?'),
      original: ['0-1均匀的随机生成器,求均值,方差。然后怎么变成均值为0、方差为1的生成器?'],
      lab: msg('Random numbers'),
      href: '#/random',
      line: msg('Draw up to 10⁷ Philox numbers on the GPU and watch E = ½, Var = 1/12, then (u − ½)·√12.'),
    },
    {
      q: msg('Write masked attention: scores = QKᵀ/√d, masked_fill(−∞), softmax, weights·V.'),
      original: ['写一下Masking Attention的伪代码'],
      lab: msg('Masked attention'),
      href: '#/attention',
      line: msg('Toggle the causal mask and read every stage’s weights, computed by WGSL kernels.'),
    },
    {
      q: msg('Explain the principle of diffusion models and write their pseudocode.'),
      original: ['介绍diffusion的原理', '写一下diffusion的伪代码'],
      lab: msg('Diffusion'),
      href: '#/diffusion',
      line: msg(
        'Noise data forward, then step DDPM / DDIM back to samples, each step a few GPU dispatches in one submit.',
      ),
    },
    {
      q: msg('What does BatchNorm do, and why does it work?'),
      original: ['BN有什么作用?为什么有效?'],
      lab: msg('BatchNorm'),
      href: '#/batchnorm',
      line: msg('Train two networks side by side and watch activation statistics before and after BN.'),
    },
    {
      q: msg(
        'Describe a recommendation pipeline. If a user’s taste is narrow, how do you recommend diversely yet accurately?',
      ),
      original: ['介绍自己对推荐流程的了解', '如果用户的喜好单一,怎么对用户实现多样而精准的推荐?'],
      lab: msg('Recommendation'),
      href: '#/recommend',
      line: msg(
        'Run recall → pre-rank → MLP rank → re-rank for 256 users on the GPU; sweep MMR, DPP and calibration and read the accuracy–diversity curve.',
      ),
    },
  ];
}

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
      .original {
        margin: 0.25rem 0 0.5rem;
        padding-left: 0.6rem;
        border-left: 3px solid var(--ks-border);
        font-size: 0.9rem;
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
        ${msg(
          'The core computations of modern machine learning, computed on your GPU in f32 with WebGPU compute shaders and drawn as they run. Each lab answers an interview question by computing it; the tests hold every GPU result to a float64 reference (about 1e-6 relative, the precision of f32).',
        )}
      </p>
      <ul>
        ${questions().map(
          (x) =>
            html`<li>
              <a href=${x.href}
                ><div class="panel">
                  <div class="lab">${x.lab}</div>
                  <p class="q">“${x.q}”</p>
                  <blockquote class="original" lang="zh-CN" translate="no">
                    ${x.original.map((o, i) => html`${i ? html`<br />` : nothing}原题：${o}`)}
                  </blockquote>
                  <p>${x.line}</p>
                </div></a
              >
            </li>`,
        )}
      </ul>
      <p class="muted">
        ${msg('The original questions (quoted in Chinese) come from a Kuaishou machine-learning engineer interview write-up.')}
      </p>
    `;
  }
}
