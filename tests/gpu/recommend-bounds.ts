/**
 * The f32 bounds of the re-rankers' scores and the well-posedness test of a greedy list (derivation: the
 * header of recommend-rerank.test.ts). u = 2⁻²³, D = RECOMMEND_DIM.
 */
import { dppQuality, dppSimilarity } from '../../src/kernels/recommend/ref';
import {
  CALIBRATION_MIX,
  RECOMMEND_DIM,
  dppAlpha,
  type RerankInstance,
  type RerankOptions,
  type RerankResult,
} from '../../src/kernels/recommend/spec';

const D = RECOMMEND_DIM;
const u = 2 ** -23;

export type Method = 'mmr' | 'dpp' | 'calibration';

/** Per-candidate f32 bounds of step k's scores (row = the reference's scores at that step). */
function boundsFor(method: Method, inst: RerankInstance, opts: RerankOptions, res: RerankResult) {
  const m = inst.rel.length;
  const lambda = opts.lambda ?? 0;
  let R = 0;
  let lo = Infinity;
  for (let i = 0; i < m; i++) {
    R = Math.max(R, Math.abs(inst.rel[i]!));
    lo = Math.min(lo, inst.rel[i]!);
  }
  if (method === 'mmr') {
    // Step 0 has no penalty: only λ·rel rounds (exact for λ ∈ {0, 1}).
    const first = lambda === 0 || lambda === 1 ? 0 : u * lambda * R;
    const t = u * (2 * lambda * R + (D + 5) * (1 - lambda));
    return (k: number) => ({ own: new Float64Array(m).fill(k === 0 ? first : t), common: 0 });
  }
  if (method === 'calibration') {
    const p = inst.history;
    const K = p.length;
    const a = CALIBRATION_MIX;
    // WGSL log: 2⁻²¹ absolute in [½, 2], 3 ulp (≤ 3u·|log x|) outside.
    const logErr = (x: number) => (x >= 0.5 && x <= 2 ? 2 ** -21 : 3 * u * Math.abs(Math.log(x)));
    // log p_c is the same f32 value for every candidate: its error is common to the step.
    let logP = 0;
    for (let c = 0; c < K; c++) if (p[c]! > 0) logP += p[c]! * logErr(p[c]!);
    // Per candidate: log q̃ (q̃ itself ≤ 5 ulp: the division 2.5, two products, a sum, the f32 a and 1 − a),
    // then the difference and product of each term and the K-term sum (K + 2 roundings of Σ|terms|).
    const klBound = (counts: Float64Array, total: number) => {
      let logs = 0;
      let terms = 0;
      for (let c = 0; c < K; c++) {
        const pc = p[c]!;
        if (!(pc > 0)) continue;
        const qt = (1 - a) * (counts[c]! / total) + a * pc;
        logs += pc * (logErr(qt) + 5 * u);
        terms += pc * Math.abs(Math.log(pc) - Math.log(qt));
      }
      return { bound: logs + (K + 2) * u * terms, kl: terms };
    };
    return (k: number) => {
      const counts = new Float64Array(K);
      for (const j of res.picks.slice(0, k)) counts[inst.cat[j]!]! += 1;
      const own = new Float64Array(m);
      const row = res.steps![k]!;
      for (let i = 0; i < m; i++) {
        if (Number.isNaN(row[i]!)) continue;
        counts[inst.cat[i]!]! += 1;
        const kl = klBound(counts, k + 1);
        counts[inst.cat[i]!]! -= 1;
        // fl(sum + rel_i), fl((1 − λ)·A), fl(λ·KL), fl(B − C): ½u each on |A| ≤ (k + 1)R, |B|, |C|, |g|.
        own[i] =
          (1 - lambda) * (k + 1) * u * R + lambda * kl.bound + 0.5 * u * (lambda * kl.kl + Math.abs(row[i]!));
      }
      // Common to the step: the running sum of the k previous rel (partials ≤ jR) and the log p_c.
      return { own, common: ((1 - lambda) * (k + 1) * (k + 2) * u * R) / 2 + lambda * logP };
    };
  }
  // DPP: the a-posteriori bound through w̃ = (−L_YY⁻¹ l_Yi, 1).
  const r = dppQuality(inst.rel, opts.theta ?? 0.5);
  const S = dppSimilarity(inst.emb);
  const L = (i: number, j: number) => r[i]! * S(i, j) * r[j]!;
  const alpha = dppAlpha(opts.theta ?? 0.5);
  const eta = u * (D / 2 + 9 + 8 * alpha * (R - lo));
  return (k: number) => {
    // At α = 0 the first d² are r² = 1 exactly (r ≡ 1).
    if (k === 0 && alpha === 0) return { own: new Float64Array(m), common: 0 };
    const ys = res.picks.slice(0, k);
    // Cholesky of L_YY.
    const C = ys.map(() => new Float64Array(k));
    for (let a = 0; a < k; a++) {
      for (let b = 0; b <= a; b++) {
        let s = L(ys[a]!, ys[b]!);
        for (let c = 0; c < b; c++) s -= C[a]![c]! * C[b]![c]!;
        C[a]![b] = a === b ? Math.sqrt(s) : s / C[b]![b]!;
      }
    }
    const out = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const y = new Float64Array(k);
      for (let a = 0; a < k; a++) {
        let s = L(ys[a]!, i);
        for (let c = 0; c < a; c++) s -= C[a]![c]! * y[c]!;
        y[a] = s / C[a]![a]!;
      }
      const w = new Float64Array(k);
      for (let a = k - 1; a >= 0; a--) {
        let s = y[a]!;
        for (let c = a + 1; c < k; c++) s -= C[c]![a]! * w[c]!;
        w[a] = s / C[a]![a]!;
      }
      let norm = Math.sqrt(L(i, i));
      for (let a = 0; a < k; a++) norm += Math.abs(w[a]!) * Math.sqrt(L(ys[a]!, ys[a]!));
      out[i] = 2 * (eta + (k + 12) * u) * norm * norm;
    }
    return { own: out, common: 0 };
  };
}

/**
 * The first step at which the f32 pick (or the DPP stop) is not decided by the bounds, or −1 when every
 * step is well-posed; also the bound of each pick.
 */
export function wellPosed(method: Method, inst: RerankInstance, opts: RerankOptions, res: RerankResult) {
  const bounds = boundsFor(method, inst, opts, res);
  const eps = Math.fround(opts.epsilon ?? 1e-6);
  const pickBound: number[] = [];
  for (let k = 0; k < res.steps!.length; k++) {
    const row = res.steps![k]!;
    const { own: tol, common } = bounds(k);
    const stopped = k === res.picks.length;
    if (stopped) {
      for (let i = 0; i < row.length; i++)
        if (!Number.isNaN(row[i]!) && row[i]! + tol[i]! >= eps) return { bad: k, pickBound };
      continue;
    }
    const j = res.picks[k]!;
    if (method === 'dpp' && row[j]! - tol[j]! < eps) return { bad: k, pickBound };
    for (let i = 0; i < row.length; i++) {
      if (i === j || Number.isNaN(row[i]!)) continue;
      // Equal scores go by the index rule on the GPU too when they are exact there (bound 0), or when the
      // GPU computes them by identical arithmetic on identical inputs (calibration at λ = 1: same category).
      const sameArithmetic = method === 'calibration' && opts.lambda === 1 && inst.cat[i] === inst.cat[j];
      const exactTie = row[j] === row[i] && j < i && (sameArithmetic || (tol[j] === 0 && tol[i] === 0));
      if (!(row[j]! - tol[j]! > row[i]! + tol[i]!) && !exactTie) return { bad: k, pickBound };
    }
    pickBound.push(tol[j]! + common);
  }
  return { bad: -1, pickBound };
}
