/**
 * The gather and feature kernels (shaders/recommend/gather.wgsl) and the funnel end to end on a real WebGPU
 * adapter; tolerances as stated in recommend-funnel.test.ts (copies exact; top-100 positions up to near ties).
 */
import { describe, expect, it } from 'vitest';
import { CandidateKernel } from '../../src/kernels/recommend/candidates';
import { FUNNEL } from '../../src/kernels/recommend/funnel-spec';
import {
  gatherRows,
  mergeCandidates,
  prerankScores,
  rankerFeatures,
} from '../../src/kernels/recommend/funnel.ref';
import { GatherKernel } from '../../src/kernels/recommend/gather';
import { topKReference } from '../../src/kernels/recommend/ref';
import { TopKKernel } from '../../src/kernels/recommend/topk';
import { testRng } from './gpu-test-context';
import { FLT_MAX, gpu, read, upload, useRecommendGpu } from './recommend-helpers';
import {
  F,
  X,
  BETA,
  unitRows,
  labInputs,
  slotsOf,
  recentRows,
  scoreBounds,
  out,
  encodeCandidates,
  randomPositions,
  expectFeatures,
} from './recommend-funnel-helpers';

useRecommendGpu('recommend-gather.test.ts');

describe('gather: WGSL = reference (exact)', () => {
  it('ids and values, two gathers chained in one submit; ids only', async () => {
    const kernel = new GatherKernel(gpu.device);
    const rng = testRng(21);
    const [users, width, k1, k2] = [3, 56, 37, 10];
    const ids = Uint32Array.from({ length: users * width }, () => (rng.next() < 0.1 ? X : rng.int(0, 999)));
    const values = Float32Array.from({ length: users * width }, rng.normal);
    const p1 = randomPositions(22, users, k1, width);
    const p2 = randomPositions(23, users, k2, k1);
    const [ids1, vals1, ids2, vals2, ids3] = [k1, k1, k2, k2, k1].map((k) => out(users * k * 4));
    const enc = gpu.device.createCommandEncoder();
    kernel.encodeGather(enc, { users, k: k1, width }, upload(p1), upload(ids), upload(values), ids1!, vals1!);
    kernel.encodeGather(enc, { users, k: k2, width: k1 }, upload(p2), ids1!, vals1!, ids2!, vals2!);
    kernel.encodeGather(enc, { users, k: k1, width }, upload(p1), upload(ids), null, ids3!, null);
    gpu.device.queue.submit([enc.finish()]);
    const want1 = gatherRows(p1, ids, users, width);
    const wantV1 = Float32Array.from(p1, (p, i) =>
      p < width ? values[Math.floor(i / k1) * width + p]! : -FLT_MAX,
    );
    const want2 = gatherRows(p2, want1, users, k1);
    const wantV2 = Float32Array.from(p2, (p, i) =>
      p < k1 ? wantV1[Math.floor(i / k2) * k1 + p]! : -FLT_MAX,
    );
    expect(Array.from(new Uint32Array(await read(ids1!, users * k1)))).toEqual(Array.from(want1));
    expect(Array.from(new Float32Array(await read(vals1!, users * k1)))).toEqual(Array.from(wantV1));
    expect(Array.from(new Uint32Array(await read(ids2!, users * k2)))).toEqual(Array.from(want2));
    expect(Array.from(new Float32Array(await read(vals2!, users * k2)))).toEqual(Array.from(wantV2));
    expect(Array.from(new Uint32Array(await read(ids3!, users * k1)))).toEqual(Array.from(want1));
    // Not vacuous: real ids, NO_PICK from positions and NO_PICK from the source all occur.
    expect(want2.some((id) => id !== X) && want2.some((id) => id === X)).toBe(true);
    kernel.destroy();
  });

  it('features: u, v, log pop copied, u⊙v the f32 product, zeros for NO_PICK', async () => {
    const kernel = new GatherKernel(gpu.device);
    const rng = testRng(31);
    const [users, k, items] = [3, 37, 200];
    const userVecs = unitRows(rng, users);
    const emb = unitRows(rng, items);
    const logPop = Float32Array.from({ length: items }, () => Math.log(1e-5 + rng.next()));
    const ids = Uint32Array.from({ length: users * k }, () => (rng.next() < 0.1 ? X : rng.int(0, items - 1)));
    const features = out(users * k * F * 4);
    const enc = gpu.device.createCommandEncoder();
    kernel.encodeFeatures(
      enc,
      { users, k },
      upload(ids),
      upload(userVecs),
      upload(emb),
      upload(logPop),
      features,
    );
    gpu.device.queue.submit([enc.finish()]);
    const got = new Float32Array(await read(features, users * k * F));
    expectFeatures(got, rankerFeatures(ids, userVecs, emb, logPop, users), 'features');
    expect(ids.some((id) => id === X)).toBe(true);
    kernel.destroy();
  });
});

describe('funnel end to end: recall → top-k → candidates → top-100 → gathers → features', () => {
  it('top-100 positions equal the float64 pipeline up to near ties; downstream exact', async () => {
    const t0 = performance.now();
    const users = 3;
    const items = 2000;
    const { inputs: x, recallF32 } = labInputs(41, users, items);
    const S = slotsOf(x.shape);
    const [P, R, N] = [FUNNEL.prerankK, FUNNEL.rankK, FUNNEL.recallK];
    const topk = [0, 1, 2].map(() => new TopKKernel(gpu.device));
    const candidates = new CandidateKernel(gpu.device);
    const gather = new GatherKernel(gpu.device);
    const recallIds = out(users * N * 4);
    const [pos100, val100, ids100, gval100, pos50, val50, ids50] = [P, P, P, P, R, R, R].map((k) =>
      out(users * k * 4),
    );
    const features = out(users * P * F * 4);
    const enc = gpu.device.createCommandEncoder();
    topk[0]!.encode(
      enc,
      { rows: users, len: items, k: N },
      {
        values: upload(recallF32),
        indices: recallIds,
        topValues: out(users * N * 4),
      },
    );
    const c = encodeCandidates(candidates, enc, x, recallIds);
    topk[1]!.encode(
      enc,
      { rows: users, len: S, k: P },
      { values: c.scores, indices: pos100!, topValues: val100! },
    );
    gather.encodeGather(enc, { users, k: P, width: S }, pos100!, c.merged, c.scores, ids100!, gval100!);
    gather.encodeFeatures(
      enc,
      { users, k: P },
      ids100!,
      upload(x.userVecs),
      upload(x.emb),
      upload(x.logPop),
      features,
    );
    // A second gather in the same submit (the engine's after the ranker): top 50 of the gathered scores.
    topk[2]!.encode(
      enc,
      { rows: users, len: P, k: R },
      { values: gval100!, indices: pos50!, topValues: val50! },
    );
    gather.encodeGather(enc, { users, k: R, width: P }, pos50!, ids100!, null, ids50!, null);
    gpu.device.queue.submit([enc.finish()]);

    const gotRecall = new Uint32Array(await read(recallIds, users * N));
    expect(Array.from(gotRecall), 'recall ids (top-k of identical f32 values)').toEqual(Array.from(x.recall));
    const merged = new Uint32Array(await read(c.merged, users * S));
    const wantMerged = mergeCandidates(x.recall, x.popular, recentRows(x), x.history, users);
    expect(Array.from(merged), 'merged').toEqual(Array.from(wantMerged));
    const scores = prerankScores(wantMerged, x.userVecs, x.emb, x.logPop, users, BETA);
    const bound = scoreBounds(x, wantMerged);
    const gotPos = new Uint32Array(await read(pos100!, users * P));
    let mismatches = 0;
    for (let u = 0; u < users; u++) {
      const row = scores.subarray(u * S, (u + 1) * S);
      const b = bound.subarray(u * S, (u + 1) * S);
      const want = topKReference(row, P).indices;
      const got = Array.from(gotPos.subarray(u * P, (u + 1) * P));
      expect(new Set(got).size, `user ${u}: distinct positions`).toBe(P);
      for (let j = 0; j < P; j++) {
        const g = got[j]!;
        const w = want[j]!;
        if (g === w) continue;
        mismatches++;
        // A swap is allowed only between slots whose reference scores are within their f32 bounds.
        expect(Math.abs(row[g]! - row[w]!), `user ${u} rank ${j}: ${g} vs ${w}`).toBeLessThanOrEqual(
          b[g]! + b[w]!,
        );
      }
      expect(
        got.every((p) => wantMerged[u * S + p] !== X),
        `user ${u}: no NO_PICK in the top ${P}`,
      ).toBe(true);
    }
    expect(mismatches, 'near-tie swaps (at most a quarter of the ranks)').toBeLessThanOrEqual(
      (users * P) / 4,
    );
    const gotIds = new Uint32Array(await read(ids100!, users * P));
    expect(Array.from(gotIds)).toEqual(Array.from(gatherRows(gotPos, merged, users, S)));
    expect(Array.from(new Float32Array(await read(gval100!, users * P)))).toEqual(
      Array.from(new Float32Array(await read(val100!, users * P))),
    );
    const gotFeatures = new Float32Array(await read(features, users * P * F));
    expectFeatures(gotFeatures, rankerFeatures(gotIds, x.userVecs, x.emb, x.logPop, users), 'end to end');
    const gotPos50 = new Uint32Array(await read(pos50!, users * R));
    const gval = new Float32Array(await read(gval100!, users * P));
    for (let u = 0; u < users; u++)
      expect(Array.from(gotPos50.subarray(u * R, (u + 1) * R))).toEqual(
        topKReference(gval.subarray(u * P, (u + 1) * P), R).indices,
      );
    expect(Array.from(new Uint32Array(await read(ids50!, users * R)))).toEqual(
      Array.from(gatherRows(gotPos50, gotIds, users, P)),
    );
    for (const k of topk) k.destroy();
    candidates.destroy();
    gather.destroy();
    console.log(
      `funnel end to end: ${mismatches} near-tie swaps in ${users * P} ranks, ` +
        `${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );
  });
});
