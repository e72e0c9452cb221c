/**
 * What the recommendation engine gives the lab's views (src/ui/recommend/*): the funnel, the selected
 * user's lists and metrics, and the λ/θ sweep averaged over every user. Plain data, no GPU handles.
 */
import type { AdapterIdentity } from '../../gpu/device';
import type { RerankMethod } from '../../kernels/recommend/spec';

/** Stages of the funnel, in order. */
export const FUNNEL_STAGES = ['catalogue', 'recall', 'pre-rank', 'rank', 're-rank'] as const;
export type FunnelStageName = (typeof FUNNEL_STAGES)[number];

export interface FunnelStage {
  name: FunnelStageName;
  /**
   * A short label, e.g. "Recall (3 channels)". Label and detail are English (the funnel table's export);
   * the page words them in the interface language from the name (src/ui/recommend/text.ts).
   */
  label: string;
  /** Items per user leaving this stage (catalogue: the item count). */
  items: number;
  /** Measured time of this stage for all users (GPU timestamps or wall clock), null when not measured. */
  ms: number | null;
  /** One line on what the stage does, e.g. "U·Vᵀ → top 500, + 50 popular, + 50 of the recent category". */
  detail: string;
  /** Timed on its first run on this device (the time includes compiling its shaders). */
  cold?: boolean;
}

/** List-quality metrics of one list (src/kernels/recommend/metrics.ref.ts defines them exactly). */
export interface ListMetrics {
  /** NDCG@10 against the user's held-out clicks (binary gains). */
  ndcg10: number;
  /** Intra-list diversity: mean over pairs of 1 − v_i·v_j. */
  ild: number;
  /** Distinct categories in the list. */
  coverage: number;
  /** KL(p ‖ q̃) of the history's category distribution p against the list's q (Steck's q̃). */
  kl: number;
}

export interface ListEntry {
  item: number;
  category: number;
  /** Relevance as the re-ranker saw it (the ranker's click probability). */
  relevance: number;
  /** The re-ranker's objective at this pick (RerankResult.gains). */
  gain: number;
  /** Whether the user's held-out clicks contain this item. */
  clicked: boolean;
}

export interface SweepPoint {
  /** λ for MMR and calibration, θ for the DPP. */
  value: number;
  /** Means over all users. */
  metrics: ListMetrics;
}

export interface SweepCurve {
  method: Exclude<RerankMethod, 'relevance'>;
  param: 'lambda' | 'theta';
  points: SweepPoint[];
}

export interface RecommendResult {
  backend: 'gpu' | 'cpu';
  /** The GPU's adapter (null on the CPU): the page names it in the interface language (localAdapterName). */
  adapter: AdapterIdentity | null;
  seed: number;
  users: number;
  items: number;
  categories: number;
  /** The selected user. */
  user: number;
  /** θ, the selected user's true taste over categories. */
  taste: number[];
  /** Categories of the selected user's history items, oldest first. */
  history: number[];
  /** p, the history's category distribution (length `categories`). */
  historyDist: number[];
  funnel: FunnelStage[];
  /** The re-ranker's M inputs for the selected user, in order. */
  candidates: { item: number; category: number; relevance: number }[];
  /** Their unit embeddings, same order. */
  embeddings: number[][];
  lists: Record<RerankMethod, ListEntry[]>;
  metrics: Record<RerankMethod, ListMetrics>;
  /** Each list's category distribution q (length `categories`). */
  listDist: Record<RerankMethod, number[]>;
  /** Mean metrics over all users of each method as its parameter sweeps 0 → 1, plus the baseline. */
  sweep: SweepCurve[];
  baseline: ListMetrics;
  /** The settings the lists were computed with. */
  method: RerankMethod;
  lambda: number;
  theta: number;
  ranker: {
    /** Held-out AUC of the MLP ranker and of the pre-rank score on the same pairs. */
    auc: number;
    prerankAuc: number;
    /** 'shipped' seeded weights or weights trained in this page. */
    weights: 'shipped' | 'trained';
    trainSteps: number;
  };
  elapsedMs: number;
  bytesRead: number;
}
