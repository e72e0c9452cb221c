/**
 * The data and denoiser a Diffusion pane computes with (the session's setup resolves them per pane).
 */
import { msg, str } from '@lit/localize';
import type { DiffusionDenoiserChoice, DiffusionState } from '../../state/diffusion';
import type { PaneInputs } from './chain';
import { datasetLabels, trainingData, type Notice } from './inputs';
import { hasShippedMlp, loadShippedMlp, mlpUrl } from './models';
import type { TrainedModel } from './session';

/**
 * The data and denoiser a pane computes with. The shipped MLP is fetched (with a status line while it
 * loads); a dataset without weights, a failed fetch or a malformed file falls back to the exact denoiser
 * with a notice saying why, as does 'trained' before the trainer has produced a model.
 */
export async function resolvePaneInputs(
  p: DiffusionState,
  choice: DiffusionDenoiserChoice,
  notices: Notice[],
  trained: TrainedModel | undefined,
  loading: (status: string | null) => void,
): Promise<PaneInputs> {
  const { data, dim } = trainingData(p);
  const exact = (): PaneInputs => ({ data, dim, denoiser: { kind: 'exact' }, denoiserUsed: 'exact' });
  const dataset = p.dataset;
  const name = () => datasetLabels()[dataset];
  if (choice === 'mlp') {
    if (!hasShippedMlp(dataset)) {
      notices.push(() => msg(str`No trained MLP ships for “${name()}”; using the exact denoiser.`));
      return exact();
    }
    loading(msg(str`Loading the trained MLP weights (${mlpUrl(dataset)})…`));
    try {
      const model = await loadShippedMlp(dataset);
      return { data, dim: 2, denoiser: { kind: 'mlp', model }, denoiserUsed: 'mlp' };
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      notices.push(() =>
        msg(str`Could not load the trained MLP for “${name()}”: ${why}. Using the exact denoiser instead.`),
      );
      return exact();
    } finally {
      loading(null);
    }
  }
  if (choice === 'trained') {
    if (dim !== 2) {
      notices.push(() =>
        msg('The training panel trains denoisers for 2D points; image mode uses the exact denoiser.'),
      );
      return exact();
    }
    if (!trained) {
      notices.push(() =>
        msg(
          str`No denoiser has been trained in this page for “${name()}” yet: press “Train denoiser” in the training panel. Using the exact denoiser until then.`,
        ),
      );
      return exact();
    }
    return { data, dim: 2, denoiser: { kind: 'mlp', model: trained.model }, denoiserUsed: 'trained' };
  }
  return exact();
}
