/**
 * List metrics (shaders/recommend/metrics.wgsl, MetricsKernel) on a real WebGPU adapter against the float64
 * reference (metrics.ref.ts) on the same f32 inputs, on random instances with NO_PICK entries, empty and
 * single-item lists, and users whose held-out set is empty. Bounds (u = 2⁻²³, L kept items, D = 32):
 * - NDCG: each discount 1/log2(r + 2) is off by ≤ 7u relative (log2: 2⁻²¹ absolute at 2, i.e. 4u, and 3 ulp
 *   above; the division 2.5 ulp); DCG and IDCG are 64-slot trees (6 additions deep): ≤ 13u relative each;
 *   their ratio adds 2.5 ulp: |Δ| ≤ 30u·ndcg (exact 0 without a hit or without held-out clicks).
 * - ILD: each 1 − v_i·v_j is off by ≤ (D + 1)u (a 32-term dot of unit vectors, then the subtraction); the
 *   pair sum is ≤ L − 1 sequential additions per row and a 6-deep tree, the division by the exact pair
 *   count 2.5 ulp: |Δ| ≤ (D + 1)u + (L + 8)u·ild.
 * - coverage: an integer count, exact.
 * - KL = Σ_{p_c > 0} p_c (log p_c − log q̃_c): each WGSL log 2⁻²¹ absolute in [½, 2], else 3 ulp (≤ 3u·|log x|),
 *   q̃ ≤ 5 ulp (the division, two products, a sum, the f32 a and 1 − a), K + 2 roundings of Σ p_c|log p_c −
 *   log q̃_c| (as recommend-bounds.ts for calibration).
 * - mean over U users: the per-user bounds averaged, plus the f32 sum (⌈U/256⌉ − 1 strided additions and an
 *   8-deep tree) and the division: (⌈U/256⌉ + 10)u·mean|x|; against the float64 mean of the GPU's own
 *   per-user values only the second term. Two runs of one encode give bit-identical means (fixed order).
 * [m: …] in the log lines: the worst |gpu − ref| / bound of each field and of the means.
 */
import { describe, expect, it } from 'vitest';
import { createStorageBuffer } from '../../src/gpu/compute';
import { METRIC_FIELDS, MetricsKernel, type MetricsShape } from '../../src/kernels/recommend/metrics';
import { listMetrics, meanMetrics, type ListMetrics } from '../../src/kernels/recommend/metrics.ref';
import { CALIBRATION_MIX, NO_PICK, RECOMMEND_DIM } from '../../src/kernels/recommend/spec';
import { TopKKernel } from '../../src/kernels/recommend/topk';
import { testRng } from './gpu-test-context';
import { gpu, read, temp, upload, useRecommendGpu } from './recommend-helpers';

useRecommendGpu('recommend-metrics.test.ts');

const D = RECOMMEND_DIM;
const u = 2 ** -23;

interface Instance {
  shape: MetricsShape;
  items: Uint32Array;
  emb: Float32Array;
  cat: Uint32Array;
  history: Float32Array;
  heldOut: Uint32Array;
  picks: Uint32Array;
}

/** A random catalogue, M distinct items per user, random lists with NO_PICK holes, varied held-out sets. */
function randomInstance(seed: number, points: number, users: number, m: number, n: number, k = 12): Instance {
  const rng = testRng(seed);
  const count = Math.max(2 * m, 64);
  const emb = new Float32Array(count * D);
  for (let i = 0; i < count; i++) {
    const v = Array.from({ length: D }, rng.normal);
    const norm = Math.hypot(...v);
    v.forEach((x, c) => (emb[i * D + c] = x / norm));
  }
  const cat = Uint32Array.from({ length: count }, () => rng.int(0, k - 1));
  const shuffled = (len: number, take: number) => {
    const a = Array.from({ length: len }, (_, i) => i);
    for (let i = 0; i < take; i++) {
      const j = rng.int(i, len - 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a.slice(0, take);
  };
  const items = new Uint32Array(users * m);
  const history = new Float32Array(users * k);
  const H = 20;
  const heldOut = new Uint32Array(users * H).fill(NO_PICK);
  for (let s = 0; s < users; s++) {
    items.set(shuffled(count, m), s * m);
    const h = Array.from({ length: k }, () => (rng.next() < 0.25 ? 0 : rng.next() + 0.05));
    h[s % k] = 1; // at least one p_c > 0
    const sum = h.reduce((a, b) => a + b, 0);
    h.forEach((x, c) => (history[s * k + c] = x / sum));
    // Every fifth user has no held-out clicks; the others 1…H, half of them among the user's candidates.
    const clicks = s % 5 === 4 ? 0 : rng.int(1, H);
    const own = shuffled(m, m).map((pos) => items[s * m + pos]!);
    const pool = [...own.slice(0, Math.ceil(clicks / 2))];
    while (pool.length < clicks) {
      const x = rng.int(0, count - 1);
      if (!pool.includes(x)) pool.push(x);
    }
    heldOut.set(pool, s * H);
  }
  const picks = new Uint32Array(points * users * n);
  for (let row = 0; row < points * users; row++) {
    const list = shuffled(m, n);
    const holes = row % 7 === 3 ? 1 : row % 7 === 5 ? 0.15 : row % 11 === 6 ? (n - 1) / n : 0;
    for (let k2 = 0; k2 < n; k2++) picks[row * n + k2] = rng.next() < holes ? NO_PICK : list[k2]!;
  }
  // The last list of point 0 keeps exactly one item.
  picks.fill(NO_PICK, (users - 1) * n, users * n);
  picks[(users - 1) * n + Math.floor(n / 2)] = 0;
  return {
    shape: { points, users, m, n, categories: k, heldOut: H },
    items,
    emb,
    cat,
    history,
    heldOut,
    picks,
  };
}

function referenceOf(x: Instance, point: number, user: number): ListMetrics {
  const { users, m, n, categories: k, heldOut: H } = x.shape;
  const row = (point * users + user) * n;
  const ids = Array.from(x.picks.subarray(row, row + n), (pos) =>
    pos === NO_PICK ? NO_PICK : x.items[user * m + pos]!,
  );
  const held = x.heldOut.subarray(user * H, (user + 1) * H);
  return listMetrics(ids, held, x.emb, x.cat, x.history.subarray(user * k, (user + 1) * k), n);
}

/** The per-user f32 bounds of the header (fields in METRIC_FIELDS order). */
function boundsOf(x: Instance, point: number, user: number, ref: ListMetrics): number[] {
  const { users, m, n, categories: k } = x.shape;
  const row = (point * users + user) * n;
  const kept = Array.from(x.picks.subarray(row, row + n)).filter((pos) => pos !== NO_PICK);
  const L = kept.length;
  const counts = new Float64Array(k);
  for (const pos of kept) counts[x.cat[x.items[user * m + pos]!]!]! += 1;
  const logErr = (v: number) => (v >= 0.5 && v <= 2 ? 2 ** -21 : 3 * u * Math.abs(Math.log(v)));
  const a = CALIBRATION_MIX;
  let logs = 0;
  let terms = 0;
  for (let c = 0; c < k; c++) {
    const pc = x.history[user * k + c]!;
    if (!(pc > 0)) continue;
    const qt = (1 - a) * (counts[c]! / Math.max(1, L)) + a * pc;
    logs += pc * (logErr(pc) + logErr(qt) + 5 * u);
    terms += pc * Math.abs(Math.log(pc) - Math.log(qt));
  }
  return [30 * u * ref.ndcg10, (D + 1) * u + (L + 8) * u * ref.ild, 0, logs + (k + 2) * u * terms];
}

async function runMetrics(kernel: MetricsKernel, x: Instance, encoder?: GPUCommandEncoder) {
  const { points, users } = x.shape;
  const perUser = createStorageBuffer(gpu.device, 'test.recommend.metrics.perUser', points * users * 16);
  const mean = createStorageBuffer(gpu.device, 'test.recommend.metrics.mean', points * 16);
  temp.push(perUser, mean);
  const enc = encoder ?? gpu.device.createCommandEncoder({ label: 'test.recommend.metrics' });
  const bufs = {
    picks: upload(x.picks),
    items: upload(x.items),
    embeddings: upload(x.emb),
    categories: upload(x.cat),
    history: upload(x.history),
    heldOut: upload(x.heldOut),
    perUser,
    mean,
  };
  kernel.encode(enc, x.shape, bufs);
  const readBack = async () => ({
    perUser: new Float32Array(await read(perUser, points * users * 4)),
    mean: new Float32Array(await read(mean, points * 4)),
  });
  if (!encoder) gpu.device.queue.submit([enc.finish()]);
  return readBack;
}

/** Checks every per-user value and every point's mean; returns the worst error ÷ bound per field, then of the means. */
function check(x: Instance, got: { perUser: Float32Array; mean: Float32Array }, label: string): number[] {
  const { points, users } = x.shape;
  const worst = [0, 0, 0, 0, 0];
  const reduction = (Math.ceil(users / 256) + 10) * u;
  for (let p = 0; p < points; p++) {
    const refs: ListMetrics[] = [];
    const bounds: number[][] = [];
    const own = [0, 0, 0, 0];
    for (let s = 0; s < users; s++) {
      const ref = referenceOf(x, p, s);
      const bound = boundsOf(x, p, s, ref);
      refs.push(ref);
      bounds.push(bound);
      METRIC_FIELDS.forEach((f, i) => {
        const g = got.perUser[(p * users + s) * 4 + i]!;
        own[i]! += g;
        const err = Math.abs(g - ref[f]);
        expect(err, `${label} point ${p} user ${s} ${f} (ref ${ref[f]})`).toBeLessThanOrEqual(bound[i]!);
        if (err > 0) worst[i] = Math.max(worst[i]!, err / bound[i]!);
      });
    }
    const want = meanMetrics(refs);
    METRIC_FIELDS.forEach((f, i) => {
      const g = got.mean[p * 4 + i]!;
      const avgBound = bounds.reduce((acc, b) => acc + b[i]!, 0) / users;
      const avgAbs = refs.reduce((acc, r) => acc + Math.abs(r[f]), 0) / users + avgBound;
      const meanBound = avgBound + reduction * avgAbs;
      const meanErr = Math.abs(g - want[f]);
      expect(meanErr, `${label} point ${p} mean ${f}`).toBeLessThanOrEqual(meanBound);
      if (meanErr > 0) worst[4] = Math.max(worst[4]!, meanErr / meanBound);
      const ownMean = own[i]! / users;
      expect(Math.abs(g - ownMean), `${label} point ${p} mean ${f} (own)`).toBeLessThanOrEqual(
        reduction * (Math.abs(ownMean) + avgBound),
      );
    });
  }
  return worst;
}

describe('list metrics: WGSL = float64 reference', () => {
  for (const [seed, points, users, m, n] of [
    [51, 3, 37, 50, 10],
    [52, 2, 300, 80, 64],
    [53, 4, 9, 12, 1],
    [54, 11, 20, 50, 10],
  ] as const) {
    it(`${points} points × ${users} users, M ${m}, N ${n} (NO_PICK entries, empty held-out sets)`, async () => {
      const t0 = performance.now();
      const x = randomInstance(seed, points, users, m, n);
      const kernel = new MetricsKernel(gpu.device);
      const readBack = await runMetrics(kernel, x);
      const got = await readBack();
      const worst = check(x, got, `seed ${seed}`);
      // The instance is not vacuous: hits, empty held-out sets, lists with and without holes.
      const refs = Array.from({ length: users }, (_, s) => referenceOf(x, 0, s));
      expect(refs.some((r) => r.ndcg10 > 0)).toBe(true);
      expect(refs.some((r) => r.coverage === 1)).toBe(true);
      // Deterministic: the same encode again gives bit-identical means.
      const again = await (await runMetrics(kernel, x))();
      expect(Array.from(again.mean)).toEqual(Array.from(got.mean));
      kernel.destroy();
      console.log(
        `metrics seed ${seed}: [m: ndcg, ild, coverage, kl, means ${worst.map((w) => w.toFixed(3)).join(', ')}], ` +
          `${((performance.now() - t0) / 1000).toFixed(2)} s`,
      );
    });
  }

  it('two encodes in one submit (relevance-only lists from TopKKernel with points = 1, and a sweep)', async () => {
    const sweep = randomInstance(55, 5, 24, 40, 10);
    const { users, m, n } = sweep.shape;
    // Relevance-only: top-N positions of random relevance rows, straight from the top-k kernel.
    const rng = testRng(56);
    const rel = Float32Array.from({ length: users * m }, rng.next);
    const topk = new TopKKernel(gpu.device);
    const positions = createStorageBuffer(gpu.device, 'test.recommend.metrics.topk', users * n * 4);
    const topValues = createStorageBuffer(gpu.device, 'test.recommend.metrics.topv', users * n * 4);
    temp.push(positions, topValues);
    const kernel = new MetricsKernel(gpu.device);
    const enc = gpu.device.createCommandEncoder({ label: 'test.recommend.metrics.two' });
    topk.encode(enc, { rows: users, len: m, k: n }, { values: upload(rel), indices: positions, topValues });
    const single: Instance = { ...sweep, shape: { ...sweep.shape, points: 1 } };
    const perUser = createStorageBuffer(gpu.device, 'test.recommend.metrics.rel.perUser', users * 16);
    const mean = createStorageBuffer(gpu.device, 'test.recommend.metrics.rel.mean', 16);
    temp.push(perUser, mean);
    kernel.encode(enc, single.shape, {
      picks: positions,
      items: upload(sweep.items),
      embeddings: upload(sweep.emb),
      categories: upload(sweep.cat),
      history: upload(sweep.history),
      heldOut: upload(sweep.heldOut),
      perUser,
      mean,
    });
    const readSweep = await runMetrics(kernel, sweep, enc);
    gpu.device.queue.submit([enc.finish()]);
    single.picks = new Uint32Array(await read(positions, users * n));
    check(
      single,
      {
        perUser: new Float32Array(await read(perUser, users * 4)),
        mean: new Float32Array(await read(mean, 4)),
      },
      'relevance',
    );
    check(sweep, await readSweep(), 'sweep');
    topk.destroy();
    kernel.destroy();
  });

  it('refuses N > 64, zero points and output buffers too small', () => {
    const x = randomInstance(57, 1, 2, 8, 4);
    const kernel = new MetricsKernel(gpu.device);
    const small = upload(new Float32Array(4));
    const bufs = {
      picks: upload(x.picks),
      items: upload(x.items),
      embeddings: upload(x.emb),
      categories: upload(x.cat),
      history: upload(x.history),
      heldOut: upload(x.heldOut),
      perUser: upload(new Float32Array(2 * 4)),
      mean: upload(new Float32Array(4)),
    };
    const enc = gpu.device.createCommandEncoder();
    expect(() => kernel.encode(enc, { ...x.shape, n: 65 }, bufs)).toThrow(RangeError);
    expect(() => kernel.encode(enc, { ...x.shape, points: 0 }, bufs)).toThrow(RangeError);
    expect(() => kernel.encode(enc, x.shape, { ...bufs, perUser: small })).toThrow(/perUser/);
    expect(() => kernel.encode(enc, x.shape, bufs)).not.toThrow();
    kernel.destroy();
  });
});
