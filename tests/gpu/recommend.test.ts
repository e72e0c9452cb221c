/**
 * Recommendation kernels (shaders/recommend/*.wgsl) on a real WebGPU adapter against the float64
 * references (src/kernels/recommend/ref.ts), fed the same f32 inputs (u = 2⁻²³, D = 32 dimensions).
 *
 * The GPU must pick the IDENTICAL index lists. A greedy pick is well-defined in f32 only when, at every
 * step, the winner's reference score minus its f32 bound still beats every other candidate's score plus
 * its bound (and, for the DPP, the stop test d² < ε is on the same side for both). Each user's instance is
 * checked for that with the bounds below; on a well-posed user the whole list must be identical, on an
 * ill-posed one the lists must agree up to the first ill-posed step; at least one user of every case and
 * 3/4 of each method's users must be well-posed (so the identity check is never vacuous). Tolerances (|gpu − ref| ≤ bound):
 * - top-k and relevance only: values are copied, so indices and values are exact.
 * - MMR, g = λ·rel − (1 − λ)·max sim: a D-term dot product of unit vectors is off by ≤ D·u, 1 − λ, the two
 *   products and the difference add ≤ 4 roundings: u·(2λ·R + (D + 5)(1 − λ)), R = max |rel|.
 * - DPP d_i² at step k (Y the k previous picks): the f32 kernel entries are off by ≤ η·√(L_aa L_bb),
 *   η = u·(D/2 + 9 + 8·x), x = α·(max rel − min rel) (dot D·u/2, exp (3 + 2|x|) ulp after a 2-rounding
 *   argument, 3 products); the Cholesky/Schur complement is backward stable with |ΔL| ≤ γ·|C||Cᵀ|,
 *   γ = (k + 12)·u (k + 1 roundings, WGSL's / at 2.5 ulp and sqrt = 1/inverseSqrt at 4.5 ulp), and
 *   (|C||Cᵀ|)_ab ≤ √(L_aa L_bb). First order, |Δd_i²| ≤ (η + γ)·(Σ_{a∈Y∪i} |w̃_a|·√L_aa)² with
 *   w̃ = (−L_YY⁻¹ l_Yi, 1); the bound doubles that for the second-order terms.
 * - calibration, g = (1 − λ)·(Σ rel + rel_i) − λ·KL: the f32 running sum of the k previous picks' rel is
 *   off by ≤ (k + 1)(k + 2)/2·u·R and each f32 log p_c by its WGSL bound (2⁻²¹ absolute in [½, 2], else
 *   3 ulp ≤ 3u·|log x|); both are the same for every candidate of a step (common: they cannot change the
 *   pick, only the reported gain). Per candidate: log q̃_c by the same rule plus 5u (q̃ ≤ 5 ulp), K + 2
 *   roundings of Σ_c p_c|log p_c − log q̃_c|, and ½u on |sum + rel_i| ≤ (k + 1)R, |(1 − λ)·A|, |λ·KL|, |g|.
 *   Candidates of one category at λ = 1 are computed by identical arithmetic, so their ties go by index.
 * - MMR's first step has no penalty: its bound is u·λ·R (0 for λ ∈ {0, 1}, where exact ties go by index).
 * [m: …] in the log lines: the worst |gpu − ref| / bound and |gpu − ref| of the reported gains; measured on
 * SwiftShader when the bounds were written: MMR [m: 0.37; 6.0e-8], DPP [m: 0.012; 2.6e-7], calibration
 * [m: 0.098; 9.1e-7]; well-posed users 24/24, 25/25, 22/24 (the two others agree up to steps 46 and 13).
 * Shapes are small (SwiftShader runs WGSL slower than plain JavaScript); the file runs in a few seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { createStorageBuffer } from '../../src/gpu/compute';
import { ReadbackPool, encodeReadback } from '../../src/gpu/readback';
import { CalibrationKernel } from '../../src/kernels/recommend/calibration';
import { DppKernel } from '../../src/kernels/recommend/dpp';
import { MmrKernel } from '../../src/kernels/recommend/mmr';
import { TopKKernel } from '../../src/kernels/recommend/topk';
import type { RerankKernelBase } from '../../src/kernels/recommend/rerank-common';
import { dppQuality, dppSimilarity, rerankReference, topKReference } from '../../src/kernels/recommend/ref';
import {
  CALIBRATION_MIX,
  NO_PICK,
  RECOMMEND_DIM,
  dppAlpha,
  type RerankInstance,
  type RerankOptions,
  type RerankResult,
} from '../../src/kernels/recommend/spec';
import { testGpu, testRng } from './gpu-test-context';

const D = RECOMMEND_DIM;
const u = 2 ** -23;
const FLT_MAX = 3.4028234663852886e38;

let gpu: GpuContext;
let pool: ReadbackPool;
const temp: GPUBuffer[] = [];
const started = performance.now();
beforeAll(async () => {
  gpu = await testGpu(navigator.gpu);
  pool = new ReadbackPool(gpu.device, 'test.recommend');
});
afterAll(() => {
  for (const b of temp) b.destroy();
  pool?.destroy();
  gpu?.destroy();
  console.log(`recommend.test.ts: ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
});

function upload(values: Float32Array | Uint32Array): GPUBuffer {
  const b = createStorageBuffer(gpu.device, 'test.recommend.buf', values.byteLength);
  gpu.device.queue.writeBuffer(b, 0, values.buffer as ArrayBuffer, values.byteOffset, values.byteLength);
  temp.push(b);
  return b;
}
async function read(b: GPUBuffer, n: number): Promise<ArrayBuffer> {
  const enc = gpu.device.createCommandEncoder();
  const dst = encodeReadback(enc, pool, b, n * 4);
  gpu.device.queue.submit([enc.finish()]);
  return pool.read(dst, n * 4);
}

/** One batch of users: f32 inputs, candidates of user u are items u·M … u·M + M − 1. */
interface Batch {
  users: number;
  m: number;
  k: number;
  rel: Float32Array;
  emb: Float32Array;
  cat: Uint32Array;
  history: Float32Array;
}
function randomBatch(seed: number, users: number, m: number, k: number): Batch {
  const rng = testRng(seed);
  const emb = new Float32Array(users * m * D);
  for (let i = 0; i < users * m; i++) {
    const v = Array.from({ length: D }, rng.normal);
    const norm = Math.hypot(...v);
    v.forEach((x, c) => (emb[i * D + c] = x / norm));
  }
  const rel = Float32Array.from({ length: users * m }, rng.next);
  const cat = Uint32Array.from({ length: users * m }, () => rng.int(0, k - 1));
  const history = new Float32Array(users * k);
  for (let s = 0; s < users; s++) {
    // One category absent from the history (p_c = 0 is skipped by KL), the others random.
    const h = Array.from({ length: k }, (_, c) => (c === s % k ? 0 : rng.next() + 0.05));
    const sum = h.reduce((a, b) => a + b, 0);
    h.forEach((x, c) => (history[s * k + c] = x / sum));
  }
  return { users, m, k, rel, emb, cat, history };
}
function instanceOf(b: Batch, s: number): RerankInstance {
  const { m, k } = b;
  return {
    rel: b.rel.subarray(s * m, (s + 1) * m),
    emb: b.emb.subarray(s * m * D, (s + 1) * m * D),
    cat: b.cat.subarray(s * m, (s + 1) * m),
    history: b.history.subarray(s * k, (s + 1) * k),
  };
}

type Method = 'mmr' | 'dpp' | 'calibration';

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
function wellPosed(method: Method, inst: RerankInstance, opts: RerankOptions, res: RerankResult) {
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

const KERNELS: Record<Method, (d: GPUDevice) => RerankKernelBase> = {
  mmr: (d) => new MmrKernel(d),
  dpp: (d) => new DppKernel(d),
  calibration: (d) => new CalibrationKernel(d),
};

interface Case {
  seed: number;
  users: number;
  m: number;
  n: number;
  lambda?: number;
  theta?: number;
  epsilon?: number;
}
const CASES: Record<Method, Case[]> = {
  mmr: [
    { seed: 1, users: 4, m: 7, n: 1, lambda: 0.5 },
    { seed: 2, users: 4, m: 7, n: 7, lambda: 0.25 },
    { seed: 3, users: 3, m: 50, n: 10, lambda: 0.7 },
    { seed: 4, users: 3, m: 300, n: 16, lambda: 0.5 },
    { seed: 5, users: 4, m: 512, n: 64, lambda: 0.9 },
    { seed: 6, users: 3, m: 257, n: 12, lambda: 1 },
    { seed: 7, users: 3, m: 33, n: 8, lambda: 0 },
  ],
  dpp: [
    { seed: 11, users: 4, m: 7, n: 1, theta: 0.5 },
    { seed: 12, users: 4, m: 7, n: 7, theta: 0.3 },
    { seed: 13, users: 3, m: 50, n: 10, theta: 0.7 },
    { seed: 14, users: 3, m: 300, n: 16, theta: 0.5 },
    { seed: 15, users: 4, m: 512, n: 24, theta: 0.6 },
    { seed: 16, users: 3, m: 257, n: 12, theta: 0 },
    // Stops early: ε = 0.3 ends the list once every remaining d² is small.
    { seed: 17, users: 4, m: 40, n: 40, theta: 0.2, epsilon: 0.3 },
  ],
  calibration: [
    { seed: 21, users: 4, m: 7, n: 1, lambda: 0.5 },
    { seed: 22, users: 4, m: 7, n: 7, lambda: 0.25 },
    { seed: 23, users: 3, m: 50, n: 10, lambda: 0.7 },
    { seed: 24, users: 3, m: 300, n: 16, lambda: 0.5 },
    { seed: 25, users: 4, m: 512, n: 64, lambda: 0.9 },
    { seed: 26, users: 3, m: 257, n: 12, lambda: 1 },
    { seed: 27, users: 3, m: 33, n: 8, lambda: 0 },
  ],
};

async function runRerank(kernel: RerankKernelBase, b: Batch, opts: RerankOptions) {
  const ids = Uint32Array.from({ length: b.users * b.m }, (_, i) => i);
  const picks = createStorageBuffer(gpu.device, 'test.recommend.picks', b.users * opts.n * 4);
  const gains = createStorageBuffer(gpu.device, 'test.recommend.gains', b.users * opts.n * 4);
  temp.push(picks, gains);
  const enc = gpu.device.createCommandEncoder({ label: 'test.recommend' });
  kernel.encode(enc, { users: b.users, m: b.m, categories: b.k }, opts, {
    items: upload(ids),
    embeddings: upload(b.emb),
    categories: upload(b.cat),
    relevance: upload(b.rel),
    history: upload(b.history),
    picks,
    gains,
  });
  gpu.device.queue.submit([enc.finish()]);
  const n = b.users * opts.n;
  return {
    picks: new Uint32Array(await read(picks, n)),
    gains: new Float32Array(await read(gains, n)),
  };
}

describe('re-rankers: WGSL = float64 reference (identical picks)', () => {
  for (const method of ['mmr', 'dpp', 'calibration'] as const) {
    it(`${method}: identical lists on seeded random instances (M ∤ 256, N = 1, N = M)`, async () => {
      const t0 = performance.now();
      const kernel = KERNELS[method](gpu.device);
      let worst = 0;
      let worstAbs = 0;
      let users = 0;
      let posed = 0;
      for (const c of CASES[method]) {
        const b = randomBatch(c.seed, c.users, c.m, 12);
        const opts: RerankOptions = {
          n: c.n,
          lambda: Math.fround(c.lambda ?? 0.5),
          theta: c.theta ?? 0.5,
          epsilon: Math.fround(c.epsilon ?? 1e-6),
        };
        const got = await runRerank(kernel, b, opts);
        let casePosed = 0;
        for (let s = 0; s < b.users; s++) {
          const inst = instanceOf(b, s);
          const ref = rerankReference(method, inst, opts, true);
          const { bad, pickBound } = wellPosed(method, inst, opts, ref);
          const gp = Array.from(got.picks.subarray(s * c.n, (s + 1) * c.n));
          const gg = got.gains.subarray(s * c.n, (s + 1) * c.n);
          const want = [...ref.picks, ...Array<number>(c.n - ref.picks.length).fill(NO_PICK)];
          const upTo = bad < 0 ? c.n : bad;
          const label = `${method} seed ${c.seed} user ${s} M ${c.m} N ${c.n}`;
          expect(gp.slice(0, upTo), label).toEqual(want.slice(0, upTo));
          if (bad < 0) casePosed++;
          for (let k = 0; k < Math.min(upTo, ref.picks.length); k++) {
            const err = Math.abs(gg[k]! - ref.gains[k]!);
            expect(err, `${label} gain ${k}`).toBeLessThanOrEqual(pickBound[k]!);
            worstAbs = Math.max(worstAbs, err);
            if (err > 0) worst = Math.max(worst, err / pickBound[k]!);
          }
          for (let k = ref.picks.length; k < upTo; k++) expect(gg[k]).toBe(0);
        }
        expect(casePosed, `${method} seed ${c.seed}: well-posed users`).toBeGreaterThanOrEqual(1);
        users += b.users;
        posed += casePosed;
      }
      kernel.destroy();
      expect(posed / users, `${method}: well-posed users`).toBeGreaterThanOrEqual(0.75);
      console.log(
        `${method}: ${posed}/${users} users well-posed, [m: ${worst.toFixed(3)}; ${worstAbs.toExponential(2)}], ` +
          `${((performance.now() - t0) / 1000).toFixed(2)} s`,
      );
    });
  }

  it('a DPP that stops early writes NO_PICK and gain 0 for the rest of the list', async () => {
    const b = randomBatch(17, 4, 40, 12);
    const opts = { n: 40, theta: 0.2, epsilon: Math.fround(0.3) };
    const kernel = new DppKernel(gpu.device);
    const got = await runRerank(kernel, b, opts);
    kernel.destroy();
    const ref = rerankReference('dpp', instanceOf(b, 0), opts);
    expect(ref.picks.length).toBeLessThan(40);
    expect(got.picks[ref.picks.length]).toBe(NO_PICK);
    expect(got.picks[39]).toBe(NO_PICK);
  });

  it('refuses N > M, M > 512 and a DPP window', () => {
    const kernel = new DppKernel(gpu.device);
    const b = randomBatch(1, 1, 4, 3);
    const bufs = {
      items: upload(new Uint32Array(4)),
      embeddings: upload(b.emb),
      categories: upload(b.cat),
      relevance: upload(b.rel),
      history: upload(b.history),
      picks: upload(new Uint32Array(8)),
      gains: upload(new Float32Array(8)),
    };
    const enc = gpu.device.createCommandEncoder();
    expect(() => kernel.encode(enc, { users: 1, m: 4, categories: 3 }, { n: 5 }, bufs)).toThrow(RangeError);
    expect(() => kernel.encode(enc, { users: 1, m: 513, categories: 3 }, { n: 5 }, bufs)).toThrow(RangeError);
    expect(() => kernel.encode(enc, { users: 1, m: 4, categories: 3 }, { n: 2, window: 2 }, bufs)).toThrow(
      /window/,
    );
    kernel.destroy();
  });
});

describe('top-k: WGSL = reference (exact)', () => {
  it('indices and values of rows of any length (ties to the lowest index, k > length padded)', async () => {
    const t0 = performance.now();
    const kernel = new TopKKernel(gpu.device);
    const rng = testRng(99);
    for (const [rows, len, k] of [
      [3, 1, 1],
      [2, 5, 8],
      [4, 1000, 100],
      [3, 1024, 512],
      [2, 3001, 500],
      [5, 777, 1],
      [2, 2049, 37],
    ] as const) {
      // Half the rows on a coarse grid (many exact ties), the rest continuous; one value is −FLT_MAX.
      const values = new Float32Array(rows * len);
      for (let i = 0; i < values.length; i++)
        values[i] = i % (2 * len) < len ? Math.floor(rng.next() * 16) / 4 : rng.normal();
      values[values.length - 1] = -FLT_MAX;
      const indices = createStorageBuffer(gpu.device, 'test.recommend.topk.i', rows * k * 4);
      const topValues = createStorageBuffer(gpu.device, 'test.recommend.topk.v', rows * k * 4);
      temp.push(indices, topValues);
      const enc = gpu.device.createCommandEncoder();
      kernel.encode(enc, { rows, len, k }, { values: upload(values), indices, topValues });
      gpu.device.queue.submit([enc.finish()]);
      const gi = new Uint32Array(await read(indices, rows * k));
      const gv = new Float32Array(await read(topValues, rows * k));
      for (let r = 0; r < rows; r++) {
        const want = topKReference(values.subarray(r * len, (r + 1) * len), k);
        const label = `rows ${rows} len ${len} k ${k} row ${r}`;
        expect(Array.from(gi.subarray(r * k, (r + 1) * k)), label).toEqual(want.indices);
        const wv = want.values.map((v) => (v === -Infinity ? -FLT_MAX : v));
        expect(Array.from(gv.subarray(r * k, (r + 1) * k)), label).toEqual(wv);
      }
    }
    kernel.destroy();
    console.log(`top-k: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  });

  it('relevance only is the top-N of the relevance rows and equals MMR with λ = 1', async () => {
    const b = randomBatch(31, 3, 300, 12);
    const n = 20;
    const indices = createStorageBuffer(gpu.device, 'test.recommend.rel.i', b.users * n * 4);
    const topValues = createStorageBuffer(gpu.device, 'test.recommend.rel.v', b.users * n * 4);
    temp.push(indices, topValues);
    const kernel = new TopKKernel(gpu.device);
    const enc = gpu.device.createCommandEncoder();
    kernel.encode(enc, { rows: b.users, len: b.m, k: n }, { values: upload(b.rel), indices, topValues });
    gpu.device.queue.submit([enc.finish()]);
    const gi = new Uint32Array(await read(indices, b.users * n));
    const mmrKernel = new MmrKernel(gpu.device);
    const mmr = await runRerank(mmrKernel, b, { n, lambda: 1 });
    mmrKernel.destroy();
    for (let s = 0; s < b.users; s++) {
      const want = rerankReference('relevance', instanceOf(b, s), { n }).picks;
      expect(Array.from(gi.subarray(s * n, (s + 1) * n))).toEqual(want);
      expect(Array.from(mmr.picks.subarray(s * n, (s + 1) * n))).toEqual(want);
    }
    kernel.destroy();
  });
});
