/**
 * The Attention lab's engine on Dawn in Node: the staged path (weights and output) and the fused path
 * (output) against the float64 reference that runAttentionCpu carries, at sizes that are not multiples of
 * the 16-key tile, causal and with a custom mask holding fully-masked rows. Run by tests/node/run.mjs.
 *
 * Tolerances (u = 2⁻²³; WGSL: + − * correctly rounded, / 2.5 ulp, exp(x) 3 + 2|x| ulp), per row with N kept
 * keys, reference logits x_j, row max m, R = max_j (m − x_j):
 * - each logit: E_j = (d + 2)·u·scale·Σ_c |q_c k_c| + u·|x_j| (a length-d dot product, the scale and the
 *   mask); E = max_j E_j. Exact softmax of logits perturbed by ≤ E moves each weight by a factor e^{±2E}.
 * - staged softmax rounding δ = (90 + N + 2.5·(R + 2E))·u (exp of x − m, the length-N row sum, 1/l and the
 *   product); fused (online softmax over T = ⌈L/16⌉ tiles, one rescale of the accumulators per tile)
 *   δ_f = (10·T + 40 + N + 6.5·(R + 2E))·u.
 * - weight j: w_j·(e^{2E} − 1 + e^{2E}·δ) + 1e-37; output c: Σ_j tol_w(j)|v_jc| + L·u·Σ_j (w_j + tol_w(j))|v_jc|
 *   + 1e-30 (a length-L weighted sum).
 * Exact: masked weights are 0; fully-masked rows give all-zero weights and output (DESIGN.md).
 */
import assert from 'node:assert/strict';
import { requestNodeGpu } from '../../src/gpu/node';
import type { GpuContext } from '../../src/gpu/device';
import { AttentionEngine, runAttentionCpu } from '../../src/engine/attention';
import { testRng } from '../gpu/gpu-test-context';
import { U, checkWithin } from './numerics';

type Inputs = Parameters<typeof runAttentionCpu>[0];
type Mask = NonNullable<NonNullable<Parameters<typeof runAttentionCpu>[1]>['mask']>;
type Reference = ReturnType<typeof runAttentionCpu>['reference'];

let gpu: GpuContext;
let engine: AttentionEngine;

function inputs(heads: number, L: number, d: number, seed: number, spread: number): Inputs {
  const rng = testRng(seed);
  const t = () => Float32Array.from({ length: heads * L * d }, () => spread * rng.normal());
  return { shape: { heads, L, d }, q: t(), k: t(), v: t() };
}

/** Per-element bounds of the weights and the output (see the file comment). */
function bounds(x: Inputs, ref: Reference, fused: boolean) {
  const { heads, L, d } = x.shape;
  const tolW = new Float64Array(heads * L * L);
  const tolO = new Float64Array(heads * L * d);
  const tiles = Math.ceil(L / 16);
  for (let r = 0; r < heads * L; r++) {
    const h = Math.floor(r / L);
    const kept: number[] = [];
    let E = 0;
    let R = 0;
    const m = ref.stats.max[r]!;
    for (let j = 0; j < L; j++) {
      const logit = ref.masked[r * L + j]!;
      if (logit === -Infinity) continue;
      kept.push(j);
      let abs = 0;
      for (let c = 0; c < d; c++) abs += Math.abs(x.q[r * d + c]! * x.k[(h * L + j) * d + c]!);
      E = Math.max(E, (d + 2) * U * ref.scale * abs + U * Math.abs(logit));
      R = Math.max(R, m - logit);
    }
    const N = kept.length;
    const spreadBound = R + 2 * E;
    const delta = fused ? (10 * tiles + 40 + N + 6.5 * spreadBound) * U : (90 + N + 2.5 * spreadBound) * U;
    const grow = Math.exp(2 * E);
    for (const j of kept) {
      const w = ref.weights[r * L + j]!;
      tolW[r * L + j] = w * (grow - 1 + grow * delta);
    }
    for (let c = 0; c < d; c++) {
      let fromW = 0;
      let sum = 0;
      for (const j of kept) {
        const v = Math.abs(x.v[(h * L + j) * d + c]!);
        fromW += tolW[r * L + j]! * v;
        sum += (ref.weights[r * L + j]! + tolW[r * L + j]!) * v;
      }
      tolO[r * d + c] = fromW + L * U * sum + 1e-30;
    }
  }
  for (let k = 0; k < tolW.length; k++) tolW[k]! += 1e-37;
  return { tolW, tolO };
}

async function compare(name: string, x: Inputs, mask: Mask): Promise<void> {
  const cpu = runAttentionCpu(x, { mask, stages: ['output'] });
  const ref = cpu.reference;
  const { heads, L, d } = x.shape;
  const staged = await engine.runStaged(x, { mask, stages: ['weights', 'output'] });
  const fused = await engine.runFused(x, { mask, stages: ['output'] });
  assert.equal(staged.path, 'staged');
  assert.equal(fused.path, 'fused');
  const b = bounds(x, ref, false);
  const bf = bounds(x, ref, true);
  const w = staged.stages.weights!;
  for (let k = 0; k < w.length; k++) {
    if (ref.masked[k] === -Infinity) assert.equal(w[k], 0, `${name}: masked weight ${k} is ${w[k]}`);
  }
  checkWithin(`${name} staged weights`, w, ref.weights, (k) => b.tolW[k]!);
  checkWithin(`${name} staged output`, staged.stages.output!, ref.output, (k) => b.tolO[k]!);
  checkWithin(`${name} fused output`, fused.stages.output!, ref.output, (k) => bf.tolO[k]!);
  for (let r = 0; r < heads * L; r++) {
    if (!ref.stats.fullyMasked[r]) continue;
    for (let c = 0; c < d; c++) {
      assert.equal(staged.stages.output![r * d + c], 0, `${name}: staged output of masked row ${r}`);
      assert.equal(fused.stages.output![r * d + c], 0, `${name}: fused output of masked row ${r}`);
    }
  }
  assert.equal(staged.fullyMaskedRows, ref.stats.fullyMaskedCount);
  assert.equal(fused.fullyMaskedRows, ref.stats.fullyMaskedCount);
}

export default {
  async setup() {
    gpu = await requestNodeGpu();
    engine = new AttentionEngine(gpu);
  },
  teardown() {
    engine.destroy();
    gpu.destroy();
  },
  tests: [
    [
      'causal, L = 37 (not a multiple of the 16-key tile), 2 heads, d = 24: staged and fused within the f32 bound',
      async () => {
        await compare('causal L=37', inputs(2, 37, 24, 11, 1.5), { kind: 'causal' });
      },
    ],
    [
      'custom mask with two fully-masked rows, L = 20, 3 heads, d = 8: zeros exactly where masked',
      async () => {
        const L = 20;
        const rng = testRng(29);
        const keep = Uint8Array.from({ length: L * L }, (_, k) => {
          const [q, key] = [Math.floor(k / L), k % L];
          if (q === 7 || q === 13) return 0; // fully masked rows
          return q === key || rng.next() < 0.6 ? 1 : 0;
        });
        await compare('custom L=20', inputs(3, L, 8, 31, 2), { kind: 'custom', keep });
        const again = await engine.runFused(inputs(3, L, 8, 31, 2), { mask: { kind: 'custom', keep } });
        assert.equal(again.fullyMaskedRows, 3 * 2);
      },
    ],
  ] as Array<[string, () => Promise<void>]>,
};
