/**
 * Transformer training kernels (src/kernels/transformer, shaders/transformer) on a real WebGPU adapter vs the
 * float64 references (ref.ts) run on the same f32 inputs, on small shapes that are not tile or workgroup
 * multiples. Tolerances |gpu − ref| ≤ bound are derived per entry in transformer-helpers.ts from f32:
 * - head split / merge, masked entries (A, dA, dS = 0; scores = MASKED_SENTINEL): exact;
 * - scores: γ_dh·scale·Σ|q·k| + u·|s|; A: the scores' error through exp (3 + 2|x| ULP), the length-T sum
 *   (γ_T), 1/l (2.5 ULP) and one product; O, dV, dQ, dK: γ_T·Σ|terms| plus the propagated error of their
 *   computed input (A or dS); dA: γ_dh·Σ|dO·V|; dS: dA's and rowsum's errors times A plus two roundings;
 * - embedding: forward one rounding (u·|h|), backward γ_n·Σ|terms| for n summed rows; bit-identical reruns.
 * γ_n = n·2⁻²⁴/(1 − n·2⁻²⁴); each bound adds 2⁻¹²⁶ per flushed subnormal term.
 */
import { describe, expect, it } from 'vitest';
import { MASKED_SENTINEL } from '../../src/kernels/attention/spec';
import * as k from '../../src/kernels/transformer/attention-train';
import { embeddingBackward, embeddingForward } from '../../src/kernels/transformer/embedding';
import * as ref from '../../src/kernels/transformer/ref';
import { defaultScale, type HeadShape } from '../../src/kernels/transformer/spec';
import type { NnKernelStyle } from '../../src/kernels/nn/pipelines';
import { STYLES, empty, read, res, run, upload, useNnGpu, withStyle } from './nn-helpers';
import {
  U,
  causalProductBound,
  checkBound,
  f32Normal,
  gamma,
  maskedIndices,
  scoresBound,
  softmaxBackwardBounds,
  toF32,
  weightsBound,
} from './transformer-helpers';

useNnGpu();

const SHAPES: HeadShape[] = [
  { batch: 2, heads: 2, len: 7, dHead: 4 },
  { batch: 3, heads: 4, len: 20, dHead: 16 },
  { batch: 2, heads: 3, len: 17, dHead: 5 },
];
/** Q, K scaled so that the largest |score| is 30 (rows of a saturated softmax). */
function saturating(s: HeadShape, seed: number) {
  const { hd } = sizes(s);
  const [q0, k0] = [f32Normal(hd, seed), f32Normal(hd, seed + 1)];
  const raw = ref.causalAttentionWeights(q0, k0, s).scores.filter(Number.isFinite);
  const f = Math.sqrt(30 / Math.max(...raw.map(Math.abs)));
  return { q: toF32(q0.map((x) => x * f)), k: toF32(k0.map((x) => x * f)) };
}
function sizes(s: HeadShape) {
  const G = s.batch * s.heads;
  return { hd: G * s.len * s.dHead, tt: G * s.len * s.len };
}

describe('recording checks', () => {
  // Buffers made half (or less) of the size needed: storage buffers are rounded up to 16 bytes.
  it('a buffer too small for the shape, or a bad shape, is a named RangeError before anything is recorded', () => {
    const s: HeadShape = { batch: 2, heads: 2, len: 9, dHead: 4 };
    const { hd, tt } = sizes(s);
    const [q, kk, small] = [empty(hd), empty(hd), empty(tt / 2)];
    expect(() => k.causalScores(res, 'test.small', s, q, kk, small)).toThrow(
      /test\.small\.scores: buffer .* needs 324/,
    );
    expect(() => k.headSplit(res, 'test.small', s, empty(hd / 2), q)).toThrow(RangeError);
    expect(() => k.causalScores(res, 'test.bad', { ...s, len: 0 }, q, kk, small)).toThrow(/len = 0/);
    const E = { batch: 2, len: 9, vocab: 5, dModel: 3 };
    const tok = upload(new Array(18).fill(0), true);
    const args = { tokens: tok, eTok: empty(15), ePos: empty(20), h: empty(54) };
    expect(() => embeddingForward(res, 'test.small', E, args)).toThrow(/needs 27/);
  });
});

describe('head split / merge', () => {
  it('split then merge of a fused QKV row block is exact, and merge leaves other columns untouched', async () => {
    const s: HeadShape = { batch: 3, heads: 4, len: 13, dHead: 5 };
    const width = 3 * s.heads * s.dHead;
    const x = f32Normal(s.batch * s.len * width, 1);
    const bx = upload(x);
    for (const offset of [0, s.heads * s.dHead, 2 * s.heads * s.dHead]) {
      const y = empty(sizes(s).hd);
      const filler = Float64Array.from({ length: x.length }, (_, i) => i);
      const back = upload(filler);
      await run([
        ...k.headSplit(res, 'test.split', s, bx, y, { width, offset }),
        ...k.headMerge(res, 'test.merge', s, y, back, { width, offset }),
      ]);
      expect(Array.from(await read(y, sizes(s).hd))).toEqual(
        Array.from(ref.headSplit(x, s, { width, offset })),
      );
      const want = ref.headMerge(ref.headSplit(x, s, { width, offset }), s, { width, offset }, filler);
      expect(Array.from(await read(back, x.length))).toEqual(Array.from(want));
    }
  });
});

/** Forward on the GPU (ops recorded under `style`): scores, A, O read back. */
async function forward(
  style: NnKernelStyle,
  s: HeadShape,
  q: Float64Array,
  kk: Float64Array,
  v: Float64Array,
) {
  const { hd, tt } = sizes(s);
  const b = {
    q: upload(q),
    k: upload(kk),
    v: upload(v),
    scores: empty(tt),
    stats: empty(2 * s.batch * s.heads * s.len),
    a: empty(tt),
    o: empty(hd),
  };
  const list = await withStyle(style, async () => k.causalAttentionForward(res, 'test.attention', s, b));
  // The softmax follows the nn kernel style: softmax.wgsl per workgroup, or one invocation per row.
  const softmax =
    style === 'workgroup' ? 'transformer.softmax.softmax' : 'transformer.softmaxRows.softmax_rows';
  expect(list[1]!.pipeline.label).toBe(softmax);
  await run(list);
  return { scores: await read(b.scores, tt), a: await read(b.a, tt), o: await read(b.o, hd) };
}

function checkForward(
  s: HeadShape,
  inputs: { q: Float64Array; k: Float64Array; v: Float64Array },
  got: { scores: Float32Array; a: Float32Array; o: Float32Array },
) {
  const scale = defaultScale(s.dHead);
  const r = ref.causalAttentionWeights(inputs.q, inputs.k, s, scale);
  for (const i of maskedIndices(s)) {
    expect(got.scores[i]).toBe(MASKED_SENTINEL);
    expect(got.a[i]).toBe(0);
  }
  const keptScores = r.scores.map((x) => (Number.isFinite(x) ? x : MASKED_SENTINEL));
  const sErr = scoresBound(inputs.q, inputs.k, s, scale);
  const wS = checkBound(got.scores, keptScores, sErr, 'scores');
  const aErr = weightsBound(r.scores, r.a, sErr, s);
  const wA = checkBound(got.a, r.a, aErr, 'A');
  const o = ref.attendValues(r.a, inputs.v, s);
  const wO = checkBound(got.o, o, causalProductBound(r.a, aErr, inputs.v, s, 1, false), 'O');
  return { r, worst: { scores: wS, a: wA, o: wO } };
}

describe('causal attention forward: scores, softmax (B·H heads), A·V', () => {
  for (const style of STYLES) {
    for (const s of SHAPES) {
      it(`${style}: B=${s.batch} H=${s.heads} T=${s.len} dh=${s.dHead}: within the f32 bounds, masked exactly 0`, async () => {
        const { hd } = sizes(s);
        const inputs = { q: f32Normal(hd, 2), k: f32Normal(hd, 3), v: f32Normal(hd, 4) };
        const got = await forward(style, s, inputs.q, inputs.k, inputs.v);
        const { r, worst } = checkForward(s, inputs, got);
        expect(Math.max(worst.scores, worst.a, worst.o)).toBeLessThanOrEqual(1);
        for (let row = 0; row < s.batch * s.heads * s.len; row++) {
          const sum = r.a.slice(row * s.len, (row + 1) * s.len).reduce((x, y) => x + y, 0);
          expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
        }
      });
    }
    it(`${style}: scores of ±30 (saturated softmax) and inputs of 1e-20 stay within their bounds`, async () => {
      const s = SHAPES[2]!;
      const { hd } = sizes(s);
      const huge = { ...saturating(s, 5), v: f32Normal(hd, 7) };
      const h = checkForward(s, huge, await forward(style, s, huge.q, huge.k, huge.v));
      expect(Math.max(...h.r.scores.filter(Number.isFinite).map(Math.abs))).toBeGreaterThan(25);
      // Saturated rows: some kept weights below e^-20 next to a weight near 1.
      expect(Math.min(...h.r.a.filter((x) => x > 0))).toBeLessThan(Math.exp(-20));
      expect(Math.max(...h.r.a.filter((_, i) => i % s.len !== 0))).toBeGreaterThan(0.999);
      const tiny = { q: f32Normal(hd, 8, 1e-20), k: f32Normal(hd, 9, 1e-20), v: f32Normal(hd, 10, 1e-20) };
      const got = await forward(style, s, tiny.q, tiny.k, tiny.v);
      checkForward(s, tiny, got);
      // Scores ~1e-40 (subnormal or flushed): every kept weight is 1/(i + 1) to within the bound.
      for (let i = 0; i < s.len; i++)
        expect(Math.abs(got.a[i * s.len]! - 1 / (i + 1))).toBeLessThan(4 * s.len * U);
    });
  }
});

describe('A·V alone on exact f32 weights', () => {
  it('O = A·V within γ_T·Σ|A·V|', async () => {
    const s = SHAPES[1]!;
    const { hd, tt } = sizes(s);
    const a = toF32(ref.causalAttentionWeights(f32Normal(hd, 11), f32Normal(hd, 12), s).a);
    const v = f32Normal(hd, 13);
    const o = empty(hd);
    await run(k.attendValues(res, 'test.attend', s, upload(a), upload(v), o));
    const bound = causalProductBound(a, null, v, s, 1, false);
    const worst = checkBound(await read(o, hd), ref.attendValues(a, v, s), bound, 'O');
    expect(worst).toBeLessThanOrEqual(1);
    expect(a.length).toBe(tt);
  });
});

async function backward(
  s: HeadShape,
  f: { q: Float64Array; k: Float64Array; v: Float64Array; a: Float64Array },
  dO: Float64Array,
) {
  const { hd, tt } = sizes(s);
  const g = { dA: empty(tt), dS: empty(tt), dQ: empty(hd), dK: empty(hd), dV: empty(hd) };
  const fb = { q: upload(f.q), k: upload(f.k), v: upload(f.v), a: upload(f.a) };
  await run(k.causalAttentionBackward(res, 'test.attention', s, fb, upload(dO), g));
  return {
    dA: await read(g.dA, tt),
    dS: await read(g.dS, tt),
    dQ: await read(g.dQ, hd),
    dK: await read(g.dK, hd),
    dV: await read(g.dV, hd),
  };
}

function checkBackward(
  s: HeadShape,
  f: { q: Float64Array; k: Float64Array; v: Float64Array; a: Float64Array },
  dO: Float64Array,
  got: Awaited<ReturnType<typeof backward>>,
) {
  const scale = defaultScale(s.dHead);
  const r = ref.causalAttentionBackward(f, dO, s, scale);
  for (const i of maskedIndices(s)) {
    expect(got.dA[i]).toBe(0);
    expect(got.dS[i]).toBe(0);
  }
  const e = softmaxBackwardBounds(dO, f.v, f.a, r.dA, r.dS, s);
  return {
    dA: checkBound(got.dA, r.dA, e.dA, 'dA'),
    dS: checkBound(got.dS, r.dS, e.dS, 'dS'),
    dV: checkBound(got.dV, r.dV, causalProductBound(f.a, null, dO, s, 1, true), 'dV'),
    dQ: checkBound(got.dQ, r.dQ, causalProductBound(r.dS, e.dS, f.k, s, scale, false), 'dQ'),
    dK: checkBound(got.dK, r.dK, causalProductBound(r.dS, e.dS, f.q, s, scale, true), 'dK'),
  };
}

describe('causal attention backward: dA, dS, dV, dQ, dK', () => {
  for (const s of SHAPES) {
    it(`B=${s.batch} H=${s.heads} T=${s.len} dh=${s.dHead}: within the f32 bounds, masked exactly 0`, async () => {
      const { hd } = sizes(s);
      const [q, kk, v, dO] = [f32Normal(hd, 21), f32Normal(hd, 22), f32Normal(hd, 23), f32Normal(hd, 24)];
      const f = { q, k: kk, v, a: toF32(ref.causalAttentionWeights(q, kk, s).a) };
      checkBackward(s, f, dO, await backward(s, f, dO));
    });
  }
  it('saturated weights (scores of ±30) and gradients of 1e-20 stay within their bounds', async () => {
    const s = SHAPES[2]!;
    const { hd } = sizes(s);
    const { q, k: kk } = saturating(s, 31);
    const f = { q, k: kk, v: f32Normal(hd, 33), a: toF32(ref.causalAttentionWeights(q, kk, s).a) };
    for (const dO of [f32Normal(hd, 34), f32Normal(hd, 35, 1e-20)])
      checkBackward(s, f, dO, await backward(s, f, dO));
  });
});

describe('embedding forward and backward (no atomics)', () => {
  const E = { batch: 3, len: 13, vocab: 11, dModel: 24 };
  const rows = E.batch * E.len;
  // Repeated ids (a few rows each), one id that never occurs, one id out of range.
  const tokens = Array.from({ length: rows }, (_, r) => (r * 5 + (r >> 3)) % (E.vocab - 1));
  tokens[7] = E.vocab + 3;
  it('forward h0 = E_tok[x] + E_pos[t] (one rounding); backward within γ_n, bit-identical reruns', async () => {
    const eTok = f32Normal(E.vocab * E.dModel, 41);
    const ePos = f32Normal(20 * E.dModel, 42, 1e-20);
    const dH = f32Normal(rows * E.dModel, 43);
    const bt = upload(tokens, true);
    const h = empty(rows * E.dModel);
    await run(
      embeddingForward(res, 'test.embed', E, { tokens: bt, eTok: upload(eTok), ePos: upload(ePos), h }),
    );
    const hRef = ref.embeddingForward(tokens, eTok, ePos, E);
    checkBound(
      await read(h, rows * E.dModel),
      hRef,
      hRef.map((x) => U * Math.abs(x)),
      'h0',
    );

    const outs = [];
    for (let rep = 0; rep < 2; rep++) {
      const dTok = upload(new Float64Array(E.vocab * E.dModel).fill(7));
      const dPos = upload(new Float64Array(E.len * E.dModel).fill(7));
      await run(embeddingBackward(res, 'test.embed', E, { tokens: bt, dH: upload(dH), dTok, dPos }));
      outs.push([await read(dTok, E.vocab * E.dModel), await read(dPos, E.len * E.dModel)] as const);
    }
    const r = ref.embeddingBackward(tokens, dH, E);
    const abs = ref.embeddingBackward(tokens, dH.map(Math.abs), E);
    const count = (id: number) => tokens.filter((t) => t === id).length;
    const tokBound = abs.dTok.map((x, i) => gamma(count(Math.floor(i / E.dModel))) * x);
    checkBound(outs[0]![0], r.dTok, tokBound, 'dE_tok');
    checkBound(
      outs[0]![1],
      r.dPos,
      abs.dPos.map((x) => gamma(E.batch) * x),
      'dE_pos',
    );
    expect(Array.from(outs[0]![0].subarray((E.vocab - 1) * E.dModel))).toEqual(new Array(E.dModel).fill(0));
    for (const i of [0, 1] as const) {
      expect(new Uint32Array(outs[1]![i].buffer)).toEqual(new Uint32Array(outs[0]![i].buffer));
    }
  });
});
