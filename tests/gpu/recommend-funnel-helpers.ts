/** Shared inputs, encoders and checks of the funnel kernel tests (recommend-funnel / recommend-gather). */
import { expect } from 'vitest';
import { createStorageBuffer } from '../../src/gpu/compute';
import { CandidateKernel } from '../../src/kernels/recommend/candidates';
import { FUNNEL, RANKER_FEATURES, type CandidateShape } from '../../src/kernels/recommend/funnel-spec';
import {
  NO_PICK_SCORE,
  popularByCategory,
  recallScores,
  recentCategories,
} from '../../src/kernels/recommend/funnel.ref';
import { topKReference } from '../../src/kernels/recommend/ref';
import { NO_PICK, RECOMMEND_DIM } from '../../src/kernels/recommend/spec';
import { RECOMMEND_DATA, makeItems, makeUsers } from '../../src/models/recommend-data';
import { testRng } from './gpu-test-context';
import { FLT_MAX, gpu, temp, upload } from './recommend-helpers';

export const D = RECOMMEND_DIM;
export const F = RANKER_FEATURES;
export const X = NO_PICK;
export const U = 2 ** -24;
export const BETA = Math.fround(RECOMMEND_DATA.beta);

/** f32 inputs of one funnel: user vectors, item embeddings and log popularity, plus the channels. */
export interface FunnelInputs {
  shape: CandidateShape;
  userVecs: Float32Array;
  emb: Float32Array;
  logPop: Float32Array;
  recall: Uint32Array;
  popular: Uint32Array;
  recentTable: Uint32Array;
  recentCategory: Uint32Array;
  history: Uint32Array;
}

export function unitRows(rng: ReturnType<typeof testRng>, rows: number): Float32Array {
  const out = new Float32Array(rows * D);
  for (let r = 0; r < rows; r++) {
    const v = Array.from({ length: D }, rng.normal);
    const norm = Math.hypot(...v);
    v.forEach((x, c) => (out[r * D + c] = x / norm));
  }
  return out;
}

/** Random channels with many duplicates: ids drawn from [0, idRange), 5 % NO_PICK. */
export function randomInputs(
  seed: number,
  shape: CandidateShape,
  idRange: number,
  categories = 4,
): FunnelInputs {
  const rng = testRng(seed);
  const id = () => (rng.next() < 0.05 ? X : rng.int(0, idRange - 1));
  const { users, items, recallK, popularK, recentK, historyLength } = shape;
  return {
    shape,
    userVecs: unitRows(rng, users),
    emb: unitRows(rng, items),
    logPop: Float32Array.from({ length: items }, () => Math.log(1e-5 + rng.next())),
    recall: Uint32Array.from({ length: users * recallK }, id),
    popular: Uint32Array.from({ length: popularK }, id),
    recentTable: Uint32Array.from({ length: categories * recentK }, id),
    recentCategory: Uint32Array.from({ length: users }, () => rng.int(0, categories - 1)),
    history: Uint32Array.from({ length: users * historyLength }, id),
  };
}

/** The lab's data (makeItems / makeUsers) and channels; recall ids = top-recallK of the f32 recall scores. */
export function labInputs(seed: number, users: number, items: number) {
  const catalog = makeItems(seed, items);
  const people = makeUsers(catalog, seed, users, 0.3);
  const userVecs = Float32Array.from(people.flatMap((p) => Array.from(p.vector)));
  const recallF32 = Float32Array.from(recallScores(userVecs, catalog.embeddings, users, items));
  const recall = new Uint32Array(users * FUNNEL.recallK);
  for (let u = 0; u < users; u++)
    recall.set(
      topKReference(recallF32.subarray(u * items, (u + 1) * items), FUNNEL.recallK).indices,
      u * FUNNEL.recallK,
    );
  const history = Uint32Array.from(people.flatMap((p) => p.history));
  const inputs: FunnelInputs = {
    shape: { users, items, ...FUNNEL },
    userVecs,
    emb: catalog.embeddings,
    logPop: Float32Array.from(catalog.popularity, Math.log),
    recall,
    popular: Uint32Array.from(topKReference(catalog.popularity, FUNNEL.popularK).indices),
    recentTable: popularByCategory(
      catalog.popularity,
      catalog.category,
      RECOMMEND_DATA.categories,
      FUNNEL.recentK,
    ),
    recentCategory: recentCategories(history, catalog.category, users),
    history,
  };
  return { inputs, recallF32 };
}

export function slotsOf(s: CandidateShape): number {
  return s.recallK + s.popularK + s.recentK;
}

/** The recent channel row of every user, [users][recentK]. */
export function recentRows(x: FunnelInputs): Uint32Array {
  const C = x.shape.recentK;
  const out = new Uint32Array(x.shape.users * C);
  x.recentCategory.forEach((cat, u) => out.set(x.recentTable.subarray(cat * C, (cat + 1) * C), u * C));
  return out;
}

/** The f32 bound of each slot's pre-rank score (header), 0 for NO_PICK. */
export function scoreBounds(x: FunnelInputs, merged: Uint32Array): Float64Array {
  const S = slotsOf(x.shape);
  const norm = (a: Float32Array, r: number) => Math.hypot(...a.subarray(r * D, (r + 1) * D));
  return Float64Array.from(merged, (id, i) =>
    id === X
      ? 0
      : 34 * U * (norm(x.userVecs, Math.floor(i / S)) * norm(x.emb, id) + BETA * Math.abs(x.logPop[id]!)),
  );
}

export function out(bytes: number): GPUBuffer {
  const b = createStorageBuffer(gpu.device, 'test.recommend.funnel.out', bytes);
  temp.push(b);
  return b;
}

/** Encodes the candidate kernel on `x`, with the recall ids from `recall` (a GPU buffer) when given. */
export function encodeCandidates(
  kernel: CandidateKernel,
  enc: GPUCommandEncoder,
  x: FunnelInputs,
  recall?: GPUBuffer,
) {
  const S = slotsOf(x.shape);
  const merged = out(x.shape.users * S * 4);
  const scores = out(x.shape.users * S * 4);
  kernel.encode(enc, x.shape, BETA, {
    recall: recall ?? upload(x.recall),
    popular: upload(x.popular),
    recentTable: upload(x.recentTable),
    recentCategory: upload(x.recentCategory),
    history: upload(x.history),
    userVecs: upload(x.userVecs),
    embeddings: upload(x.emb),
    logPop: upload(x.logPop),
    merged,
    scores,
  });
  return { merged, scores };
}

/** Checks GPU scores against the reference (exact −FLT_MAX for NO_PICK); returns [worst ratio, worst abs]. */
export function checkScores(
  label: string,
  got: Float32Array,
  want: Float64Array,
  bound: Float64Array,
): [number, number] {
  let worst = 0;
  let worstAbs = 0;
  for (let i = 0; i < want.length; i++) {
    if (want[i] === NO_PICK_SCORE) {
      expect(got[i], `${label} slot ${i}`).toBe(-FLT_MAX);
      continue;
    }
    const err = Math.abs(got[i]! - want[i]!);
    expect(err, `${label} slot ${i}`).toBeLessThanOrEqual(bound[i]!);
    worst = Math.max(worst, err / bound[i]!);
    worstAbs = Math.max(worstAbs, err);
  }
  return [worst, worstAbs];
}

/** Random positions into rows of `width`, including NO_PICK and one past the row. */
export function randomPositions(seed: number, users: number, k: number, width: number): Uint32Array {
  const rng = testRng(seed);
  return Uint32Array.from({ length: users * k }, () => {
    const r = rng.next();
    return r < 0.05 ? X : r < 0.1 ? width + rng.int(0, 3) : rng.int(0, width - 1);
  });
}

/** Features equal exactly; a u⊙v below 2⁻¹²⁶ may be flushed to 0 on the GPU. */
export function expectFeatures(got: Float32Array, want: Float32Array, label: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const f = i % F;
    const flushed = f >= 2 * D && f < 3 * D && Math.abs(want[i]!) < 2 ** -126 && got[i] === 0;
    if (!flushed && got[i] !== want[i])
      expect(got[i], `${label}: row ${Math.floor(i / F)} feature ${f}`).toBe(want[i]);
  }
}
