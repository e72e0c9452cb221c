/**
 * The Diffusion lab's trained ε-MLPs: the weights shipped per 2D dataset (public/models/diffusion/<dataset>.ksmlp,
 * made by `npm run train:diffusion`), fetched relative to the app's base path and parsed with parseMlp.
 */
import { msg, str } from '@lit/localize';
import { MLP_DATASETS, parseMlp, type MlpModel } from '../../models/mlp-denoiser';

export type MlpDataset = (typeof MLP_DATASETS)[number];

/** Whether a dataset ships trained MLP weights. */
export function hasShippedMlp(dataset: string): dataset is MlpDataset {
  return (MLP_DATASETS as readonly string[]).includes(dataset);
}

/** Address of a dataset's weight file under the app's base path (works from any sub-path). */
export function mlpUrl(dataset: MlpDataset): string {
  return `${import.meta.env.BASE_URL}models/diffusion/${dataset}.ksmlp`;
}

const cache = new Map<string, Promise<MlpModel>>();

/**
 * Fetches and parses a dataset's shipped MLP (cached; a failure is not cached, so a later try fetches
 * again). Rejects with a readable message: HTTP status, or what is wrong with the file.
 */
export function loadShippedMlp(dataset: MlpDataset, fetcher: typeof fetch = fetch): Promise<MlpModel> {
  let p = cache.get(dataset);
  if (!p) {
    p = (async () => {
      const url = mlpUrl(dataset);
      let response: Response;
      try {
        response = await fetcher(url);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new Error(msg(str`${url} could not be fetched (${why})`));
      }
      if (!response.ok) throw new Error(msg(str`${url} answered HTTP ${response.status}`));
      const bytes = await response.arrayBuffer();
      let model: MlpModel;
      try {
        model = parseMlp(bytes);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new Error(msg(str`${url} is not a valid weight file: ${why}`));
      }
      if (model.config.dim !== 2) {
        throw new Error(msg(str`${url} holds a model for D = ${model.config.dim}, not 2D points`));
      }
      return model;
    })();
    cache.set(dataset, p);
    p.catch(() => cache.delete(dataset));
  }
  return p;
}

/** What a weight file says about its model (architecture from `config`, training from the header). */
export interface MlpFacts {
  blocks: number;
  hidden: number;
  dataset?: string;
  points?: number;
  trainSteps?: number;
  batch?: number;
  finalLoss?: number;
  trainer?: string;
}

/** The facts a model's header holds; a field it lacks (or cannot be shown: null, NaN, '') is left out. */
export function mlpFacts(model: MlpModel): MlpFacts {
  const m = model.meta ?? {};
  const num = <K extends keyof MlpFacts>(k: K, v: unknown) =>
    typeof v === 'number' && Number.isFinite(v) ? { [k]: v } : {};
  const str = <K extends keyof MlpFacts>(k: K, v: unknown) =>
    typeof v === 'string' && v !== '' ? { [k]: v } : {};
  return {
    blocks: model.config.blocks,
    hidden: model.config.hidden,
    ...str('dataset', m.dataset),
    ...num('points', m.points),
    ...num('trainSteps', m.trainSteps),
    ...num('batch', m.batch),
    ...num('finalLoss', m.finalLoss),
    ...str('trainer', m.trainer),
  };
}
