/**
 * The induction models the Attention lab can show: the shipped one (public/models/induction/induction.ksind,
 * fetched once and checked by parseInduction) and the one trained in this page (the trainer panel's newest
 * snapshot). A model is its f32 parameters, a label and a version that changes when the parameters do.
 */
import { msg, str } from '@lit/localize';
import { INDUCTION_CONFIG, parseInduction, type InductionHeader } from '../../models/induction';

export interface InductionModel {
  kind: 'induction' | 'trained';
  params: Float32Array;
  /**
   * Who trained it and how far, e.g. "shipped weights: 1750 steps on webgpu: …, seed 1" or "trained in this
   * page: 300 steps" (the models here answer in the interface language of the moment).
   */
  readonly label: string;
  version: number;
  header?: InductionHeader;
}

/** Where the shipped weights are, under the app's base URL. */
export const SHIPPED_INDUCTION_PATH = 'models/induction/induction.ksind';

function shippedLabel(header: InductionHeader): string {
  const { steps, trainer, seed } = header;
  return trainer
    ? msg(str`shipped weights: ${steps} steps on ${trainer}, seed ${seed}`)
    : msg(str`shipped weights: ${steps} steps, seed ${seed}`);
}

/** "trained in this page: 300 steps", with "(a snapshot taken while training)" before the run ends. */
function trainedLabel(step: number, done: boolean): string {
  if (step === 1)
    return done
      ? msg('trained in this page: 1 step')
      : msg('trained in this page: 1 step (a snapshot taken while training)');
  return done
    ? msg(str`trained in this page: ${step} steps`)
    : msg(str`trained in this page: ${step} steps (a snapshot taken while training)`);
}

export class InductionModels {
  private shipped: Promise<InductionModel> | null = null;
  private trainedModel: InductionModel | null = null;
  private nextVersion = 1;

  constructor(private readonly base: string = import.meta.env.BASE_URL) {}

  /** The shipped model (fetched on first use; a failed fetch is retried next time). */
  loadShipped(): Promise<InductionModel> {
    this.shipped ??= this.fetchShipped().catch((e: unknown) => {
      this.shipped = null;
      throw e;
    });
    return this.shipped;
  }

  private async fetchShipped(): Promise<InductionModel> {
    const url = `${this.base.replace(/\/?$/, '/')}${SHIPPED_INDUCTION_PATH}`;
    let response: Response;
    try {
      response = await fetch(url);
    } catch (e) {
      throw new Error(
        msg(str`Could not load the shipped induction model from ${url}: ${(e as Error).message}`),
      );
    }
    // A server with an SPA fallback answers a missing file with the app's index.html.
    const html = response.ok && (response.headers.get('content-type') ?? '').includes('text/html');
    if (response.status === 404 || html) {
      const why = html ? msg('not found') : 'HTTP 404';
      throw new Error(
        msg(
          str`This build ships no trained induction model (${url}: ${why}). Choose “Trained in this page” and train one (seconds on a GPU), or generate the file with npm run train:induction.`,
        ),
      );
    }
    if (!response.ok) {
      const status = `HTTP ${response.status} ${response.statusText}`.trim();
      throw new Error(msg(str`Could not load the shipped induction model from ${url}: ${status}`));
    }
    const { header, params } = parseInduction(await response.arrayBuffer(), INDUCTION_CONFIG);
    return {
      kind: 'induction',
      params,
      header,
      get label() {
        return shippedLabel(header);
      },
      version: 0,
    };
  }

  /** The model trained in this page, or null before the first snapshot. */
  get trained(): InductionModel | null {
    return this.trainedModel;
  }

  /** Adopts a new snapshot of the page's trainer. */
  setTrained(params: Float32Array, step: number, done: boolean): InductionModel {
    this.trainedModel = {
      kind: 'trained',
      params,
      get label() {
        return trainedLabel(step, done);
      },
      version: this.nextVersion++,
    };
    return this.trainedModel;
  }

  /** The model of `kind`, or an Error saying why there is none. */
  async get(kind: 'induction' | 'trained'): Promise<InductionModel> {
    if (kind === 'induction') return this.loadShipped();
    if (!this.trainedModel)
      throw new RangeError(
        msg(
          'No model has been trained in this page yet: press “Train the induction model” below, or pick the shipped induction model.',
        ),
      );
    return this.trainedModel;
  }
}
