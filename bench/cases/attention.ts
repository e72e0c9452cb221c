/**
 * Attention family: 8 heads, d = 64, tokens of one sentence repeated to L, unmasked and causal. Per L: the
 * staged path, the fused path, fused with a 256×256 max pool, the peer library (browser runner) and the
 * float64 CPU reference, each checked against the fused output of the same run. The fused kernel family the
 * adapter does not pick (tiled on a GPU, flash on a software adapter) is measured beside it ("fused-<family>"),
 * so the two are compared in one run on one adapter. The pooled map comes from the pass ("fused+pool": partials
 * + reduce) and, for comparison, from weights_pool ("fused+pool-recompute"); the pooled frame alone at FRAME.
 */
import { AttentionEngine, runAttentionCpu, type AttentionRunResult } from '../../src/engine/attention';
import { initAttentionInputs, repeatTokens, tokenize } from '../../src/models/attention-inputs';
import type { AttentionShape } from '../../src/kernels/attention/spec';
import type { Predictor } from '../plan';
import type { Suite } from '../suite';
import type { CaseResult } from '../types';

type GpuVariant =
  | 'staged'
  | 'fused'
  | 'fused+pool'
  | 'fused+pool-recompute'
  | 'fused-tiled'
  | 'fused-flash'
  | 'frame-pass'
  | 'frame-recompute';

/**
 * The pooled frame measured on its own at one size that runs in seconds on a software adapter: fused pass +
 * 256×256 max-pooled weights + readback, old path (pass, then weights_pool recomputing Q Kᵀ per cell) vs new
 * (pass writing partials, then pool_reduce), both kernel families, causal and not.
 */
const FRAME = { L: 1024, heads: 1, d: 64 } as const;
const FRAME_POOL = { rows: 256, cols: 256, mode: 'max' } as const;

interface Point {
  inputs: { shape: AttentionShape; q: Float32Array; k: Float32Array; v: Float32Array };
  L: number;
  causal: boolean;
  params: { L: number; heads: number; d: number; causal: boolean };
  /** Output of each variant measured so far at this point (for the agreement checks). */
  outputs: Record<string, Float32Array>;
  /** Pooled map of each pooling variant measured so far at this point. */
  pooled: Record<string, Float32Array>;
  key(variant: string): string;
}

export async function attentionCases(s: Suite): Promise<void> {
  const engine = s.setupTime('AttentionEngine', () => new AttentionEngine(s.wrapped));
  const otherFamily = engine.fusedFamily === 'flash' ? 'tiled' : 'flash';
  const other = new AttentionEngine(s.wrapped, { fusedFamily: otherFamily });
  const pred = s.predictor(2);
  const heads = 8;
  const d = 64;
  const words = tokenize('the quick brown fox jumps over the lazy dog while the cat watches');
  for (const L of s.p.attentionL) {
    const init = initAttentionInputs({ tokens: repeatTokens(words, L), heads, d, seed: 1 });
    const inputs = { shape: init.shape, q: init.q, k: init.k, v: init.v };
    for (const causal of [false, true]) {
      const at: Point = {
        inputs,
        L,
        causal,
        params: { L, heads, d, causal },
        outputs: {},
        pooled: {},
        key: (v) => `${v}/${causal}`,
      };
      await gpuCases(s, engine, other, pred, at);
      await peerCase(s, pred, at);
      await cpuCase(s, pred, at);
    }
  }
  await frameCases(s, engine, other, pred, words);
  engine.destroy();
  other.destroy();
}

/** staged, fused (the adapter's family and the other one) and fused+pool at one point. */
async function gpuCases(
  s: Suite,
  engine: AttentionEngine,
  other: AttentionEngine,
  pred: Predictor,
  at: Point,
): Promise<void> {
  const { inputs, params, outputs } = at;
  const mask = at.causal ? ({ kind: 'causal' } as const) : ({ kind: 'none' } as const);
  const gpuCase = async (
    variant: GpuVariant,
    run: () => Promise<AttentionRunResult>,
    refuse: string | null,
    by: AttentionEngine = engine,
  ) => {
    const c: CaseResult = { family: 'attention', variant, params, size: at.L, backend: s.name };
    const slow = refuse ?? pred.tooSlow(at.key(variant), at.L, s.p.maxGpuRunMs);
    if (slow) c.skipped = slow;
    else
      await s.measure(
        c,
        async () => {
          const r = await run();
          outputs[variant] = r.stages.output!;
          if (r.pooled) at.pooled[variant] = r.pooled.data;
          return r;
        },
        { gpu: true, poolCount: () => by.buffersCreated },
      );
    pred.record(at.key(variant), at.L, c.wallMs?.median);
    return c;
  };
  const limit = engine.stagedLimit(inputs.shape);
  const staged = await gpuCase(
    'staged',
    () => engine.runStaged(inputs, { mask, stages: ['output'] }),
    limit ? `skipped: stagedLimit refuses (${limit.message})` : null,
  );
  s.push(staged);
  const fused = await gpuCase('fused', () => engine.runFused(inputs, { mask, stages: ['output'] }), null);
  if (outputs.staged && outputs.fused)
    fused.check = `max |fused − staged| = ${maxAbsDiff(outputs.fused, outputs.staged).toExponential(1)}`;
  fused.params = { ...params, family: engine.fusedFamily };
  s.push(fused);
  const otherVariant = `fused-${other.fusedFamily}` as const;
  const alt = await gpuCase(
    otherVariant,
    () => other.runFused(inputs, { mask, stages: ['output'] }),
    null,
    other,
  );
  if (outputs.fused && outputs[otherVariant])
    alt.check = `max |${otherVariant} − fused| = ${maxAbsDiff(outputs[otherVariant], outputs.fused).toExponential(1)}`;
  alt.params = { ...params, family: other.fusedFamily };
  s.push(alt);
  const pooled = await gpuCase(
    'fused+pool',
    () =>
      engine.runFused(inputs, {
        mask,
        stages: ['output'],
        pool: { rows: 256, cols: 256, mode: 'max' },
      }),
    null,
  );
  pooled.params = { ...params, pool: '256×256 max' };
  s.push(pooled);
  const recompute = await gpuCase(
    'fused+pool-recompute',
    () =>
      engine.runFused(inputs, {
        mask,
        stages: ['output'],
        pool: { rows: 256, cols: 256, mode: 'max', fromPass: false },
      }),
    null,
  );
  recompute.params = { ...params, pool: '256×256 max' };
  pooled.check = poolCheck(pooled, recompute, at, 'fused+pool', 'fused+pool-recompute');
  s.push(recompute);
}

/** max |pass − recomputed| of the two pooled maps and the wall-time ratio recomputed ÷ pass (same run). */
function poolCheck(pass: CaseResult, old: CaseResult, at: Point, a: string, b: string): string | undefined {
  const [pa, pb] = [at.pooled[a], at.pooled[b]];
  if (!pa || !pb) return undefined;
  const diff = `max |pass − recomputed| = ${maxAbsDiff(pa, pb).toExponential(1)}`;
  const [n, d] = [old.wallMs?.median, pass.wallMs?.median];
  return n && d ? `${diff}; recomputed ÷ pass = ${(n / d).toFixed(2)}` : diff;
}

/** The pooled frame at FRAME, old vs new path, on both kernel families (one run, one adapter). */
async function frameCases(
  s: Suite,
  engine: AttentionEngine,
  other: AttentionEngine,
  pred: Predictor,
  words: string[],
): Promise<void> {
  const { L, heads, d } = FRAME;
  const init = initAttentionInputs({ tokens: repeatTokens(words, L), heads, d, seed: 1 });
  const inputs = { shape: init.shape, q: init.q, k: init.k, v: init.v };
  for (const causal of [false, true]) {
    const mask = causal ? ({ kind: 'causal' } as const) : ({ kind: 'none' } as const);
    for (const e of [engine, other]) {
      const family = e.fusedFamily;
      const at: Point = {
        inputs,
        L,
        causal,
        params: { L, heads, d, causal },
        outputs: {},
        pooled: {},
        key: (v) => `${v}/${family}/${causal}`,
      };
      const frame = async (variant: 'frame-pass' | 'frame-recompute', fromPass: boolean) => {
        const c: CaseResult = { family: 'attention', variant, params: {}, size: L, backend: s.name };
        c.params = { ...at.params, family, pool: '256×256 max' };
        const slow = pred.tooSlow(at.key(variant), L, s.p.maxGpuRunMs);
        if (slow) c.skipped = slow;
        else
          await s.measure(
            c,
            async () => {
              const r = await e.runFused(inputs, {
                mask,
                stages: ['output'],
                pool: { ...FRAME_POOL, fromPass },
              });
              at.pooled[variant] = r.pooled!.data;
              return r;
            },
            { gpu: true, poolCount: () => e.buffersCreated },
          );
        pred.record(at.key(variant), L, c.wallMs?.median);
        return c;
      };
      const pass = await frame('frame-pass', true);
      const old = await frame('frame-recompute', false);
      pass.check = poolCheck(pass, old, at, 'frame-pass', 'frame-recompute');
      s.push(pass);
      s.push(old);
    }
  }
}

/** The peer library (TensorFlow.js WebGPU), when the runner has one. */
async function peerCase(s: Suite, pred: Predictor, at: Point): Promise<void> {
  const peer = s.env.attentionPeer;
  if (!peer) return;
  const c: CaseResult = {
    family: 'attention',
    variant: 'tfjs',
    params: at.params,
    size: at.L,
    backend: peer.backend,
  };
  const slow = pred.tooSlow(at.key('tfjs'), at.L, s.p.maxGpuRunMs);
  if (slow) c.skipped = slow;
  else {
    let out: Float32Array | null = null;
    await s.measure(
      c,
      async () => {
        out = await peer.run(at.inputs, at.causal);
        return { bytesRead: out.byteLength };
      },
      { gpu: false },
    );
    if (out && at.outputs.fused)
      c.check = `max |tfjs − fused| = ${maxAbsDiff(out, at.outputs.fused).toExponential(1)}`;
  }
  pred.record(at.key('tfjs'), at.L, c.wallMs?.median);
  s.push(c);
}

/** The float64 CPU reference, capped at a few seconds per call. */
async function cpuCase(s: Suite, pred: Predictor, at: Point): Promise<void> {
  const mask = at.causal ? ({ kind: 'causal' } as const) : ({ kind: 'none' } as const);
  const cpu: CaseResult = {
    family: 'attention',
    variant: 'cpu',
    params: at.params,
    size: at.L,
    backend: 'CPU (JavaScript float64 reference)',
  };
  const cpuSlow = pred.tooSlow(at.key('cpu'), at.L, s.p.maxCpuRunMs);
  if (cpuSlow) cpu.skipped = `${cpuSlow} (CPU reference capped at a few seconds per call)`;
  else {
    let out: Float32Array | null = null;
    await s.measure(
      cpu,
      async () => {
        const r = runAttentionCpu(at.inputs, { mask, stages: ['output'] });
        out = r.stages.output!;
        return {};
      },
      { gpu: false, maxReps: 3, warmup: 1 },
    );
    if (out && at.outputs.fused)
      cpu.check = `max |fused − float64| = ${maxAbsDiff(at.outputs.fused, out).toExponential(1)}`;
  }
  pred.record(at.key('cpu'), at.L, cpu.wallMs?.median);
  s.push(cpu);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
