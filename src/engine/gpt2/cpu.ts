/**
 * GPT-2 without WebGPU (issue 14): the float64 reference (src/models/gpt2/ref.ts) as a model the attention
 * lab can run in a worker, for small checkpoints only (≤ 16 M parameters, ≤ 256 tokens). It answers what
 * GpuGpt2 answers (last logits, every head's full map, a layer's QKV, another position's logits), in f32.
 */
import { gpt2Reference, topK, unembedRow, type TopToken } from '../../models/gpt2/ref';
import { gpt2TensorSpecs, type Gpt2Config } from '../../models/gpt2/types';
import { GPT2_FULL_ATTENTION_MAX, GPT2_TOP, type Gpt2ForwardResult } from './gpu';

/** Largest checkpoint the CPU path takes: 16 M parameters (distilgpt2 has 82 M, gpt2 124 M). */
export const GPT2_CPU_MAX_PARAMS = 16_000_000;
/** Longest text the CPU path runs (its maps are full, never pooled). */
export const GPT2_CPU_MAX_T = GPT2_FULL_ATTENTION_MAX;

/** Parameters of a checkpoint (every tensor the forward pass reads). */
export function gpt2ParamCount(config: Gpt2Config): number {
  return gpt2TensorSpecs(config).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
}

export class Gpt2CpuModel {
  /** The last forward's ids, ln_f output and every layer's QKV (for logitsAt and layerQkv). */
  private last: { ids: number[]; hidden: Float64Array; qkv: Float64Array[] } | null = null;

  constructor(
    readonly config: Gpt2Config,
    private readonly tensors: ReadonlyMap<string, Float32Array>,
  ) {}

  /** The whole forward pass on `ids`; `onLayer(l)` after each layer. */
  forward(
    ids: readonly number[],
    qkvLayer: number | undefined,
    onLayer?: (l: number) => void,
  ): Gpt2ForwardResult {
    const T = ids.length;
    const L = this.config.nLayer;
    if (T > GPT2_CPU_MAX_T) throw new RangeError(`GPT-2 on the CPU: ${T} tokens, at most ${GPT2_CPU_MAX_T}`);
    if (qkvLayer !== undefined && !(Number.isInteger(qkvLayer) && qkvLayer >= 0 && qkvLayer < L))
      throw new RangeError(`GPT-2: layer ${qkvLayer} is outside 0 … ${L - 1}`);
    this.last = null;
    const ref = gpt2Reference(this.tensors, this.config, [...ids], {
      attention: true,
      qkv: true,
      ...(onLayer ? { onLayer } : {}),
    });
    this.last = { ids: [...ids], hidden: ref.hidden, qkv: ref.qkv! };
    const logits = Float32Array.from(ref.logits.get(T - 1)!);
    return {
      T,
      logits,
      top: topK(logits, GPT2_TOP),
      attention: ref.attention!.map((a) => Float32Array.from(a)),
      mapSize: T,
      pooled: false,
      ...(qkvLayer !== undefined ? { qkv: Float32Array.from(ref.qkv![qkvLayer]!) } : {}),
      keptLayerInputs: true,
    };
  }

  /** Layer `layer`'s QKV [T][3C] of the last forward, or null when that was not of `ids`. */
  layerQkv(layer: number, ids: readonly number[]): Float32Array | null {
    const last = this.last;
    if (!last || last.ids.length !== ids.length || last.ids.some((id, i) => id !== ids[i])) return null;
    const q = last.qkv[layer];
    if (!q) throw new RangeError(`GPT-2: layer ${layer} is outside 0 … ${this.config.nLayer - 1}`);
    return Float32Array.from(q);
  }

  /** Logits [V] at `position` of the last forward's sequence. */
  logitsAt(position: number): { logits: Float32Array; top: TopToken[] } {
    const last = this.last;
    if (!last) throw new Error('GPT-2: logitsAt before any forward pass');
    const T = last.ids.length;
    if (!(Number.isInteger(position) && position >= 0 && position < T))
      throw new RangeError(`GPT-2: position ${position} is outside 0 … ${T - 1}`);
    const { vocab: V, nEmbd: C } = this.config;
    const logits = Float32Array.from(
      unembedRow(last.hidden, position, this.tensors.get('wte.weight')!, V, C),
    );
    return { logits, top: topK(logits, GPT2_TOP) };
  }
}
