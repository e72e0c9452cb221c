/**
 * Float64 references of the re-rankers (shaders/recommend/{mmr,dpp,calibration}.wgsl) and of the top-k
 * (topk.wgsl), in the kernels' order of operations. Greedy steps take the argmax with ties to the lowest
 * candidate index (ranksBefore). Used by the tests and the CPU backend.
 */
import {
  CALIBRATION_MIX,
  NO_PICK,
  RECOMMEND_DIM,
  RERANK_DEFAULTS,
  dppAlpha,
  ranksBefore,
  type RerankInstance,
  type RerankOptions,
  type RerankResult,
} from './spec';

const D = RECOMMEND_DIM;

/** v_i · v_j of two candidates' embeddings (summed in dimension order, as the kernels do). */
export function similarity(emb: ArrayLike<number>, i: number, j: number): number {
  let s = 0;
  for (let c = 0; c < D; c++) s += emb[i * D + c]! * emb[j * D + c]!;
  return s;
}

/**
 * The greedy loop shared by every re-ranker: `score(i, step)` for each candidate not yet picked, the
 * argmax (lowest index on ties), `stop(best)` to end early, `picked(j)` to update the method's state.
 */
function greedy(
  m: number,
  n: number,
  score: (i: number, step: number) => number,
  picked: (j: number) => void,
  trace: boolean,
  stop: (best: number) => boolean = () => false,
): RerankResult {
  const taken = new Uint8Array(m);
  const result: RerankResult = { picks: [], gains: [] };
  if (trace) result.steps = [];
  for (let k = 0; k < n; k++) {
    let best = -Infinity;
    let bestI = -1;
    const row = trace ? new Float64Array(m).fill(NaN) : undefined;
    for (let i = 0; i < m; i++) {
      if (taken[i]) continue;
      const g = score(i, k);
      if (row) row[i] = g;
      if (bestI < 0 || ranksBefore(g, i, best, bestI)) {
        best = g;
        bestI = i;
      }
    }
    if (row) result.steps!.push(row);
    if (bestI < 0 || stop(best)) break;
    taken[bestI] = 1;
    result.picks.push(bestI);
    result.gains.push(best);
    picked(bestI);
  }
  return result;
}

/** Relevance only: the N most relevant candidates (ties to the lowest index). */
export function relevanceReference(inst: RerankInstance, opts: RerankOptions, trace = false): RerankResult {
  return greedy(
    inst.rel.length,
    opts.n,
    (i) => inst.rel[i]!,
    () => {},
    trace,
  );
}

/**
 * MMR (Carbonell & Goldstein 1998): argmax λ·rel(i) − (1 − λ)·max_{j∈S} v_i·v_j; the first pick has no
 * penalty (S is empty), so it is the most relevant candidate for any λ > 0.
 */
export function mmrReference(inst: RerankInstance, opts: RerankOptions, trace = false): RerankResult {
  const m = inst.rel.length;
  const lambda = opts.lambda ?? RERANK_DEFAULTS.lambda;
  const maxSim = new Float64Array(m).fill(-Infinity);
  let any = false;
  return greedy(
    m,
    opts.n,
    (i) => lambda * inst.rel[i]! - (1 - lambda) * (any ? maxSim[i]! : 0),
    (j) => {
      any = true;
      for (let i = 0; i < m; i++) maxSim[i] = Math.max(maxSim[i]!, similarity(inst.emb, i, j));
    },
    trace,
  );
}

/** r_i = exp(α·(rel_i − max rel)): the DPP quality scaled so that the top candidate has r = 1 (all 1 at α = 0). */
export function dppQuality(rel: ArrayLike<number>, theta: number): Float64Array {
  const alpha = dppAlpha(theta);
  let top = -Infinity;
  for (let i = 0; i < rel.length; i++) top = Math.max(top, rel[i]!);
  return Float64Array.from({ length: rel.length }, (_, i) =>
    alpha === 0 ? 1 : Math.exp(alpha * (rel[i]! - top)),
  );
}

/**
 * S_ij = (1 + v_i·v_j)/2, the DPP similarity of the issue (positive semi-definite). The diagonal is 1 by
 * definition (unit vectors), not the rounded (1 + |v|²)/2, so that at θ = 0 every first d² is exactly 1.
 */
export function dppSimilarity(emb: ArrayLike<number>): (i: number, j: number) => number {
  return (i, j) => (i === j ? 1 : (1 + similarity(emb, i, j)) / 2);
}

/**
 * Fast greedy MAP inference of the DPP with kernel L_ij = r_i·S(i, j)·r_j (Chen, Zhang & Zhou 2018,
 * Algorithm 1): d_i² = L_ii, then for each pick j and each remaining i, e_i = (L_ji − ⟨c_j, c_i⟩)/d_j,
 * c_i ← [c_i, e_i], d_i² ← d_i² − e_i². Picks argmax d² and stops at N or when the best d² < ε. With a
 * window w > 0, d_i² is the Schur complement of the last w picks only (Algorithm 2's quantity, computed
 * here from the window's Cholesky factor rebuilt at each step: exact, O(w³ + M·w²) a step).
 */
export function dppGreedy(
  r: ArrayLike<number>,
  sim: (i: number, j: number) => number,
  opts: RerankOptions,
  trace = false,
): RerankResult {
  const m = r.length;
  const eps = opts.epsilon ?? RERANK_DEFAULTS.epsilon;
  const w = opts.window ?? 0;
  const L = (i: number, j: number) => r[i]! * sim(i, j) * r[j]!;
  const c: number[][] = Array.from({ length: m }, () => []);
  const d2 = Float64Array.from({ length: m }, (_, i) => L(i, i));
  const picks: number[] = [];
  // Windowed steps: the Cholesky factor of the last w picks (in pick order), rebuilt once per step.
  let factor: { win: number[]; rows: number[][]; dd: number[] } | undefined;
  const rowOf = (f: { win: number[]; rows: number[][]; dd: number[] }, x: number) => {
    const cx: number[] = [];
    let dx = L(x, x);
    for (let a = 0; a < f.rows.length; a++) {
      let s = L(f.win[a]!, x);
      for (let b = 0; b < a; b++) s -= f.rows[a]![b]! * cx[b]!;
      const e = s / f.dd[a]!;
      cx.push(e);
      dx -= e * e;
    }
    return { cx, dx };
  };
  const windowed = (i: number): number => {
    if (!factor || factor.win.at(-1) !== picks.at(-1)) {
      const f = { win: picks.slice(-w), rows: [] as number[][], dd: [] as number[] };
      for (const j of f.win) {
        const { cx, dx } = rowOf(f, j);
        f.rows.push(cx);
        f.dd.push(Math.sqrt(dx));
      }
      factor = f;
    }
    return rowOf(factor, i).dx;
  };
  return greedy(
    m,
    opts.n,
    (i) => (w > 0 && picks.length > w ? windowed(i) : d2[i]!),
    (j) => {
      picks.push(j);
      if (w > 0 && picks.length > w) return; // the windowed steps recompute from scratch
      const dj = Math.sqrt(d2[j]!);
      const cj = c[j]!;
      for (let i = 0; i < m; i++) {
        if (i === j) continue;
        let s = L(j, i);
        for (let a = 0; a < cj.length; a++) s -= cj[a]! * c[i]![a]!;
        const e = s / dj;
        c[i]!.push(e);
        d2[i] = d2[i]! - e * e;
      }
    },
    trace,
    (best) => best < eps,
  );
}

/** The DPP re-ranker of the issue: dppGreedy with r = dppQuality(rel, θ) and S = dppSimilarity(emb). */
export function dppReference(inst: RerankInstance, opts: RerankOptions, trace = false): RerankResult {
  const theta = opts.theta ?? RERANK_DEFAULTS.theta;
  return dppGreedy(dppQuality(inst.rel, theta), dppSimilarity(inst.emb), opts, trace);
}

/** KL(p ‖ q̃) with q̃ = (1 − a)·q + a·p, q = counts / total; categories with p_c = 0 contribute 0. */
export function calibratedKl(p: ArrayLike<number>, counts: ArrayLike<number>, total: number): number {
  const a = CALIBRATION_MIX;
  let kl = 0;
  for (let c = 0; c < p.length; c++) {
    const pc = p[c]!;
    if (!(pc > 0)) continue;
    const qt = (1 - a) * (counts[c]! / total) + a * pc;
    kl += pc * (Math.log(pc) - Math.log(qt));
  }
  return kl;
}

/**
 * Calibration (Steck 2018): greedily adds the candidate maximising (1 − λ)·Σ_{S∪i} rel − λ·KL(p ‖ q̃(S∪i)),
 * q(S) the list's category distribution. The gain is that objective of the list after the pick.
 */
export function calibrationReference(inst: RerankInstance, opts: RerankOptions, trace = false): RerankResult {
  const lambda = opts.lambda ?? RERANK_DEFAULTS.lambda;
  const counts = new Float64Array(inst.history.length);
  let sumRel = 0;
  let size = 0;
  return greedy(
    inst.rel.length,
    opts.n,
    (i) => {
      const ci = inst.cat[i]!;
      counts[ci]! += 1;
      const kl = calibratedKl(inst.history, counts, size + 1);
      counts[ci]! -= 1;
      return (1 - lambda) * (sumRel + inst.rel[i]!) - lambda * kl;
    },
    (j) => {
      counts[inst.cat[j]!]! += 1;
      sumRel += inst.rel[j]!;
      size++;
    },
    trace,
  );
}

export function rerankReference(
  method: 'relevance' | 'mmr' | 'dpp' | 'calibration',
  inst: RerankInstance,
  opts: RerankOptions,
  trace = false,
): RerankResult {
  switch (method) {
    case 'relevance':
      return relevanceReference(inst, opts, trace);
    case 'mmr':
      return mmrReference(inst, opts, trace);
    case 'dpp':
      return dppReference(inst, opts, trace);
    case 'calibration':
      return calibrationReference(inst, opts, trace);
  }
}

/** The category distribution of a list: counts / length (all zero for an empty list). */
export function listDistribution(picks: readonly number[], cat: ArrayLike<number>, k: number): Float64Array {
  const q = new Float64Array(k);
  for (const i of picks) q[cat[i]!]! += 1 / picks.length;
  return q;
}

/**
 * The k largest values of one row with their indices, largest first, ties to the lowest index; positions
 * beyond the row's length are NO_PICK with value −Infinity.
 */
export function topKReference(values: ArrayLike<number>, k: number): { indices: number[]; values: number[] } {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => (ranksBefore(values[a]!, a, values[b]!, b) ? -1 : 1));
  const indices = order.slice(0, k);
  const out = indices.map((i) => values[i]!);
  while (indices.length < k) {
    indices.push(NO_PICK);
    out.push(-Infinity);
  }
  return { indices, values: out };
}
