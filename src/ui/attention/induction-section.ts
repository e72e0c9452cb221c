/**
 * The Attention lab's induction-model wiring, as one reactive controller: the models (shipped / trained in
 * this page), the trainer panel's `induction-trained` snapshots, the typed token sequence (validated before
 * it reaches the store) and the "Train in this page" section.
 */
import {
  html,
  nothing,
  type ReactiveController,
  type ReactiveControllerHost,
  type TemplateResult,
} from 'lit';
import { msg, str } from '@lit/localize';
import type { GpuContext } from '../../gpu/device';
import { demoSequence, formatSequence, parseSequence } from '../../models/induction/sequence';
import type { AttentionState } from '../../state/attention';
import type { InductionTrainedDetail } from './induction-trainer';
import { InductionModels, type InductionModel } from './induction-models';
import './induction-trainer';

/** The page's trainer uses the shipped model's seed (init and batches), so both train alike. */
const TRAINING_SEED = 1;

export class InductionSection implements ReactiveController {
  readonly models = new InductionModels();
  /** Changes with every snapshot of the page's trainer (part of the run key with model=trained). */
  trainedVersion = 0;
  latest: InductionTrainedDetail | null = null;
  /** Why the typed sequence was not used (shown under its field), or null. */
  sequenceError: string | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly set: (patch: Partial<AttentionState>) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.host.addEventListener('induction-trained', this.onTrained);
  }

  hostDisconnected(): void {
    this.host.removeEventListener('induction-trained', this.onTrained);
  }

  private onTrained = (e: Event) => {
    const d = (e as CustomEvent<InductionTrainedDetail>).detail;
    if (!d?.params) return;
    this.latest = d;
    this.trainedVersion = this.models.setTrained(d.params, d.step, d.done).version;
    this.host.requestUpdate();
  };

  /** What the run key adds for the model (the trained model's version, or nothing). */
  runKey(p: AttentionState): number {
    return p.model === 'trained' ? this.trainedVersion : 0;
  }

  /** The model of the controls (null for the random projections). */
  async model(p: AttentionState): Promise<InductionModel | null> {
    return p.model === 'random' || p.model === 'gpt2' ? null : this.models.get(p.model);
  }

  /** The sequence the token field shows: the typed one, else the generated one of seed and period. */
  sequenceText(p: AttentionState): string {
    return p.tokens || formatSequence(demoSequence(p.seed, p.period).ids);
  }

  /** Commits a typed sequence (the generated one again when it matches it), or says why it cannot be used. */
  commitSequence(p: AttentionState, text: string): void {
    const clean = text.replace(/\s+/g, '');
    const parsed = parseSequence(clean);
    this.sequenceError = parsed.ok ? null : parsed.error;
    this.host.requestUpdate();
    if (!parsed.ok) return;
    const generated = formatSequence(demoSequence(p.seed, p.period).ids);
    const tokens = clean === generated ? '' : clean;
    if (tokens !== p.tokens) this.set({ tokens });
  }

  /** The "Train in this page" section (shown with model=trained). */
  renderTrainer(p: AttentionState, gpu: GpuContext | null): TemplateResult | typeof nothing {
    if (p.model !== 'trained') return nothing;
    const d = this.latest;
    const title = msg('Train the induction model in this page');
    let latest: string | typeof nothing = nothing;
    if (d)
      latest = d.done
        ? msg(str`Latest snapshot: step ${d.step} of ${d.totalSteps} (done).`)
        : msg(str`Latest snapshot: step ${d.step} of ${d.totalSteps}.`);
    return html`<section class="panel trainer" aria-label=${title}>
      <h3>${title}</h3>
      <p class="small muted">
        ${msg(
          'A 2-layer, 4-head attention-only transformer (45,184 parameters) learns next-token prediction on sequences that repeat a random block, in WGSL on this GPU. Watch the layer-1 prefix-matching score: it stays near 0 on a long plateau — the loss sits at ln 64 while neither head helps without the other — and rises only when the previous-token head and the induction head form together. The lab re-runs with each snapshot.',
        )}
        ${latest}
      </p>
      <ks-induction-trainer .gpu=${gpu} .seed=${TRAINING_SEED}></ks-induction-trainer>
    </section>`;
  }
}
