/**
 * The induction model's parameters (issue 13): an attention-only transformer, no biases, LayerNorm or MLP.
 * One flat array holds every tensor row-major in INDUCTION_LAYOUT order; seeded Gaussian init (initInduction).
 */
import { philox4x32 } from '../../kernels/random/philox.ref';
import { boxMuller } from '../../kernels/random/ref';
import { sinusoidalPositions } from '../attention-inputs';

export interface InductionConfig {
  layers: number;
  heads: number;
  dModel: number;
  dHead: number;
  /** Token ids 0 … vocab − 1 are ordinary tokens; id `vocab` is BOS, so the model has vocab + 1 classes. */
  vocab: number;
  /** Context length T (learned positions 0 … T − 1). */
  context: number;
}

/** The shipped model: 2 layers × 4 heads, d_model 64, d_head 16, vocabulary 64 + BOS, context 64. */
export const INDUCTION_CONFIG: Readonly<InductionConfig> = Object.freeze({
  layers: 2,
  heads: 4,
  dModel: 64,
  dHead: 16,
  vocab: 64,
  context: 64,
});

export type TensorName = 'tokEmbed' | 'posEmbed' | 'wQ' | 'wK' | 'wV' | 'wO' | 'unembed';

export interface TensorSlot {
  /** "tokEmbed", "posEmbed", "layers.0.wQ" …, "unembed". */
  name: string;
  kind: TensorName;
  /** Layer index for wQ/wK/wV/wO, −1 otherwise. */
  layer: number;
  /** [rows, cols], row-major. */
  shape: [number, number];
  offset: number;
  size: number;
}

/** Every tensor in file/array order: tokEmbed [V+1][d], posEmbed [T][d], per layer wQ, wK, wV [d][H·dh] and
 *  wO [H·dh][d], then unembed [d][V+1]. Head h of wQ/wK/wV is columns h·dh … h·dh + dh − 1 (rows of wO). */
export function parameterLayout(config: InductionConfig = INDUCTION_CONFIG): TensorSlot[] {
  checkInductionConfig(config);
  const { dModel: d, heads, dHead, vocab, context, layers } = config;
  const hd = heads * dHead;
  const slots: TensorSlot[] = [];
  let offset = 0;
  const add = (name: string, kind: TensorName, layer: number, rows: number, cols: number) => {
    slots.push({ name, kind, layer, shape: [rows, cols], offset, size: rows * cols });
    offset += rows * cols;
  };
  add('tokEmbed', 'tokEmbed', -1, vocab + 1, d);
  add('posEmbed', 'posEmbed', -1, context, d);
  for (let l = 0; l < layers; l++) {
    add(`layers.${l}.wQ`, 'wQ', l, d, hd);
    add(`layers.${l}.wK`, 'wK', l, d, hd);
    add(`layers.${l}.wV`, 'wV', l, d, hd);
    add(`layers.${l}.wO`, 'wO', l, hd, d);
  }
  add('unembed', 'unembed', -1, d, vocab + 1);
  return slots;
}

/** 45,184 for INDUCTION_CONFIG: (V+1)·d + T·d + L·4·d·H·dh + d·(V+1). */
export function parameterCount(config: InductionConfig = INDUCTION_CONFIG): number {
  const { dModel: d, heads, dHead, vocab, context, layers } = config;
  return 2 * (vocab + 1) * d + context * d + layers * 4 * d * heads * dHead;
}

const LIMITS: Record<keyof InductionConfig, number> = {
  layers: 8,
  heads: 16,
  dModel: 512,
  dHead: 128,
  vocab: 4096,
  context: 1024,
};

/** Throws a RangeError naming the field unless every field is an integer in 1 … its limit. */
export function checkInductionConfig(config: InductionConfig): void {
  for (const key of Object.keys(LIMITS) as Array<keyof InductionConfig>) {
    const v = (config as unknown as Record<string, unknown>)[key];
    if (!(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= LIMITS[key]))
      throw new RangeError(
        `Induction config: "${key}" must be an integer in 1 … ${LIMITS[key]}, got ${String(v)}.`,
      );
  }
}

/** The slot called `name` (e.g. "layers.1.wK"); throws when there is none. */
export function tensorSlot(layout: readonly TensorSlot[], name: string): TensorSlot {
  const slot = layout.find((s) => s.name === name);
  if (!slot) throw new RangeError(`No tensor "${name}" in the induction layout.`);
  return slot;
}

/** A view of one tensor of a flat parameter array (shares memory). */
export function tensorView<A extends Float32Array | Float64Array>(params: A, slot: TensorSlot): A {
  return params.subarray(slot.offset, slot.offset + slot.size) as A;
}

/**
 * Init standard deviations: residual entries start with unit variance (tokEmbed N(0, ½); posEmbed, sinusoidal
 * in initInduction, has mean square ½ — the value here is its RMS),
 * W_Q/W_K/W_V fan-in N(0, 1/d) so scaled scores have unit variance, W_O N(0, 1/(H·dh·2L)) (GPT-2's residual
 * scaling), unembed N(0, 1/d²) so the first logits are nearly uniform (CE ≈ ln(V + 1)).
 */
export function initStd(kind: TensorName, config: InductionConfig = INDUCTION_CONFIG): number {
  const { dModel: d, heads, dHead, layers } = config;
  switch (kind) {
    case 'tokEmbed':
    case 'posEmbed':
      return Math.SQRT1_2;
    case 'wQ':
    case 'wK':
    case 'wV':
      return 1 / Math.sqrt(d);
    case 'wO':
      return 1 / Math.sqrt(heads * dHead * 2 * layers);
    case 'unembed':
      return 1 / d;
  }
}

/** Philox key word 1 of the init stream (word 0 is the seed). */
export const STREAM_INIT = 0x494e_4431;

/**
 * Seeded init, counter-based: element e of tensor slot k is normal number (e mod 4) of the two Box–Muller
 * pairs from Philox(counter [⌊e/4⌋, k, 0, 0], key [seed, STREAM_INIT]) times initStd — the same everywhere.
 * Except posEmbed, which starts as the sinusoidal encoding (sin/cos pairs, Vaswani et al.; entries have
 * mean square ½, like the random N(0, ½) it replaces) and is learned from there: "attend to position t − 1"
 * is then one linear map shared by every t, and in a float64 NumPy twin of this trainer (lr 3e-3, batch 32)
 * the induction head formed by step ~8,000, where with random positions nothing had formed by step 4,000.
 */
export function initInduction(seed: number, config: InductionConfig = INDUCTION_CONFIG): Float64Array {
  const layout = parameterLayout(config);
  const params = new Float64Array(parameterCount(config));
  layout.forEach((slot, k) => {
    if (slot.kind === 'posEmbed') {
      params.set(sinusoidalPositions(config.context, config.dModel), slot.offset);
      return;
    }
    const std = initStd(slot.kind, config);
    for (let e = 0; e < slot.size; e += 4) {
      const w = philox4x32([e / 4, k, 0, 0], [seed >>> 0, STREAM_INIT]);
      const normals = [...boxMuller(w[0], w[1]), ...boxMuller(w[2], w[3])];
      for (let j = 0; j < 4 && e + j < slot.size; j++) params[slot.offset + e + j] = std * normals[j]!;
    }
  });
  return params;
}
