/**
 * GPT-2 on WebGPU (issue 14): uploads a checkpoint's tensors one at a time (sizes checked against the
 * device's limits first), then runs the whole forward pass in one submit and reads back only the last
 * position's logits [V] and, per layer, every head's attention map (full, or max-pooled on the GPU).
 */
import { createStorageBuffer, throwIfAborted } from '../../gpu/compute';
import { msg, str } from '@lit/localize';
import { checkStorageSize } from '../../gpu/limits';
import { ReadbackPool } from '../../gpu/readback';
import { PoolKernel } from '../../kernels/attention/pool';
import * as ops from '../../kernels/nn/ops';
import { encodeDispatches, type Dispatch } from '../../kernels/nn/pipelines';
import { topK, type TopToken } from '../../models/gpt2/ref';
import {
  gpt2TensorSpecs,
  type Gpt2Config,
  type Gpt2TensorSource,
  type LoadProgress,
} from '../../models/gpt2/types';
import { SerialQueue } from '../../util/serial-queue';
import { buildGpt2Graph, checkGraphLimits, layerQkvDispatches, type Gpt2Graph } from './graph';

export type Gpt2AttentionMode = 'full' | 'pooled' | 'none';

/** Full maps up to this many tokens; beyond it the lab asks for pooled ones. */
export const GPT2_FULL_ATTENTION_MAX = 256;
export const GPT2_POOL_SIZE = 256;
export const GPT2_TOP = 5;

/**
 * Every layer's input (the residual stream [T][C] before its ln_1) stays on the GPU after a forward with
 * `keepLayerInputs` when nLayer·T·nEmbd·4 bytes fit this budget: 256 MiB, i.e. gpt2 (12 × 768), gpt2-medium
 * and gpt2-large at 1024 tokens, gpt2-xl (48 × 1600) up to 873 tokens. Then a layer change is one ln_1 and
 * one c_attn matmul (layerQkv) instead of a whole forward pass.
 */
export const GPT2_LAYER_INPUTS_BUDGET = 256 * 2 ** 20;

/** Bytes of every layer's input at T tokens (the residual streams layerQkv starts from). */
export function layerInputsBytes(config: Gpt2Config, T: number): number {
  return config.nLayer * T * config.nEmbd * 4;
}

/** Whether a forward of T tokens keeps every layer's input (within GPT2_LAYER_INPUTS_BUDGET). */
export function keepsLayerInputs(config: Gpt2Config, T: number): boolean {
  return layerInputsBytes(config, T) <= GPT2_LAYER_INPUTS_BUDGET;
}

/** The mode the attention lab uses for T tokens: full maps up to 256 tokens, pooled beyond. */
export function attentionModeFor(T: number): Gpt2AttentionMode {
  return T <= GPT2_FULL_ATTENTION_MAX ? 'full' : 'pooled';
}

export interface Gpt2ForwardOptions {
  attention: Gpt2AttentionMode;
  /** Side of the pooled maps (default 256; at most T: a shorter sequence is pooled to T, i.e. copied). */
  poolSize?: number;
  /** Also read back this layer's fused QKV activations [T][3C] (for the attention lab's stage views). */
  qkvLayer?: number;
  /**
   * Keep every layer's input on the GPU for layerQkv, when it fits GPT2_LAYER_INPUTS_BUDGET (else the
   * forward runs as without it, and `keptLayerInputs` is false).
   */
  keepLayerInputs?: boolean;
}

export interface Gpt2ForwardResult {
  T: number;
  /** The last position's logits [V] (f32). */
  logits: Float32Array;
  /** Its top-5 next tokens with softmax probabilities. */
  top: TopToken[];
  /** Per layer [H][S][S] (query row, key column); empty for 'none'. */
  attention: Float32Array[];
  /** S: T for full maps, the pool size for pooled ones. */
  mapSize: number;
  pooled: boolean;
  /** Layer `qkvLayer`'s QKV [T][3C] (q, k, v blocks of C; head h at columns h·C/H …), when asked for. */
  qkv?: Float32Array;
  /** True when this forward kept every layer's input: layerQkv can answer until the next forward. */
  keptLayerInputs: boolean;
}

/** Every layer's input of the last forward (one [T][C] buffer per layer) and its ln_1 + c_attn lists. */
interface KeptInputs {
  T: number;
  /** The token ids they are the inputs of. */
  ids: Uint32Array;
  inputs: GPUBuffer[];
  qkv: Dispatch[][];
}

function deviceLimits(device: GPUDevice): Record<string, number> {
  return {
    maxStorageBufferBindingSize: Number(device.limits.maxStorageBufferBindingSize),
    maxBufferSize: Number(device.limits.maxBufferSize),
  };
}

export class GpuGpt2 {
  /** Dispatches and submits of the last forward (or logitsAt) call, and in all. */
  lastDispatches = 0;
  lastSubmits = 0;
  totalDispatches = 0;
  totalSubmits = 0;
  private readonly queue = new SerialQueue();
  private readonly res: ops.OpResources;
  private readonly readback: ReadbackPool;
  private graph: Gpt2Graph | null = null;
  private graphRes: ops.OpResources | null = null;
  private pools: PoolKernel[] = [];
  private kept: KeptInputs | null = null;
  /** The kept inputs are those of the last forward (false after one that did not keep them). */
  private keptValid = false;
  private destroyed = false;

  private constructor(
    readonly device: GPUDevice,
    readonly config: Gpt2Config,
    private readonly tensors: Map<string, GPUBuffer>,
    private readonly label: string,
  ) {
    this.res = new ops.OpResources(device);
    this.readback = new ReadbackPool(device, `${label}.readback`);
  }

  /**
   * Checks every tensor against the device's maxStorageBufferBindingSize and maxBufferSize (a LimitError, a
   * RangeError naming the tensor and the limit, before anything is allocated), then uploads them one at a
   * time as f32 with queue.writeBuffer, keeping no CPU copy. Rejects with an AbortError when `signal` aborts
   * (buffers made so far are freed).
   */
  static async load(
    device: GPUDevice,
    source: Gpt2TensorSource,
    options: { signal?: AbortSignal; onProgress?: (p: LoadProgress) => void; label?: string } = {},
  ): Promise<GpuGpt2> {
    const config = source.config;
    const label = options.label ?? 'gpt2';
    if (!(Number.isInteger(config.nEmbd / config.nHead) && config.nHead >= 1))
      throw new RangeError(`GPT-2: width ${config.nEmbd} is not a multiple of ${config.nHead} heads`);
    const specs = gpt2TensorSpecs(config);
    const limits = deviceLimits(device);
    const bytesOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1) * 4;
    for (const s of specs) {
      const [name, dims] = [s.name, s.shape.join(' × ')];
      checkStorageSize({ limits }, msg(str`GPT-2 tensor “${name}” [${dims}]`), bytesOf(s.shape));
    }
    checkGraphLimits(limits, config, 1);
    const total = specs.reduce((a, s) => a + bytesOf(s.shape), 0);
    const tensors = new Map<string, GPUBuffer>();
    let done = 0;
    try {
      for (const s of specs) {
        throwIfAborted(options.signal);
        const data = await source.tensor(s.name, options.signal);
        throwIfAborted(options.signal);
        if (data.length * 4 !== bytesOf(s.shape))
          throw new RangeError(
            `GPT-2 tensor “${s.name}” has ${data.length} values, expected [${s.shape.join(' × ')}]`,
          );
        const b = device.createBuffer({
          label: `${label}.${s.name}`,
          size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
        });
        tensors.set(s.name, b);
        device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
        done += data.byteLength;
        options.onProgress?.({ done, total, tensor: s.name });
      }
    } catch (e) {
      for (const b of tensors.values()) b.destroy();
      throw e;
    }
    return new GpuGpt2(device, config, tensors, label);
  }

  /** The whole forward pass on `ids` in one submit; reads back the last logits and the attention maps. */
  forward(ids: Uint32Array, options: Gpt2ForwardOptions): Promise<Gpt2ForwardResult> {
    return this.queue.run(() => this.runForward(ids, options));
  }

  /**
   * Layer `layer`'s fused QKV [T][3C] for the last forward's sequence, from that layer's kept input: ln_1 and
   * c_attn only (one submit). The same kernels on the same input as in the forward: its QKV bit for bit.
   * Null when the last forward (the one before this call in the queue) was not of `ids` or did not keep its
   * layer inputs (Gpt2ForwardResult.keptLayerInputs): run a forward instead.
   */
  layerQkv(layer: number, ids: ArrayLike<number>): Promise<Float32Array | null> {
    return this.queue.run(async () => {
      const g = this.graph;
      const kept = this.kept;
      const same = (a: ArrayLike<number>) =>
        a.length === ids.length && Array.from(ids).every((x, i) => x === a[i]);
      if (!g || !kept || !this.keptValid || kept.T !== g.T || !same(kept.ids)) return null;
      const L = this.config.nLayer;
      if (!(Number.isInteger(layer) && layer >= 0 && layer < L))
        throw new RangeError(`GPT-2: layer ${layer} is outside 0 … ${L - 1}`);
      const bytes = g.T * 3 * this.config.nEmbd * 4;
      const enc = this.device.createCommandEncoder({ label: `${this.label}.layerQkv` });
      const p = enc.beginComputePass({ label: `${this.label}.layers.${layer}.qkv` });
      encodeDispatches(p, kept.qkv[layer]!);
      p.end();
      const dst = this.readback.acquire(bytes);
      enc.copyBufferToBuffer(g.qkv, 0, dst, 0, bytes);
      this.submit(enc, kept.qkv[layer]!.length);
      return new Float32Array(await this.readback.read(dst, bytes));
    });
  }

  /** Logits [V] at `position` of the last forward's sequence (one submit: copy the row, unembed, read). */
  logitsAt(position: number): Promise<{ logits: Float32Array; top: TopToken[] }> {
    return this.queue.run(async () => {
      const g = this.graph;
      if (!g) throw new Error('GPT-2: logitsAt before any forward pass');
      if (!(Number.isInteger(position) && position >= 0 && position < g.T))
        throw new RangeError(`GPT-2: position ${position} is outside 0 … ${g.T - 1}`);
      const enc = this.device.createCommandEncoder({ label: `${this.label}.logitsAt` });
      const read = this.encodeLogits(enc, g, position);
      this.submit(enc, g.unembed.length);
      const logits = await read();
      return { logits, top: topK(logits, GPT2_TOP) };
    });
  }

  destroy(): void {
    this.destroyed = true;
    this.dropGraph();
    for (const b of this.tensors.values()) b.destroy();
    this.tensors.clear();
    this.res.destroy();
    this.readback.destroy();
  }

  private async runForward(ids: Uint32Array, options: Gpt2ForwardOptions): Promise<Gpt2ForwardResult> {
    if (this.destroyed) throw new Error('GPT-2: the model was destroyed');
    const { vocab: V, nPositions, nHead: H, nLayer: L } = this.config;
    const T = ids.length;
    if (T < 1 || T > nPositions)
      throw new RangeError(`GPT-2: ${T} tokens, but this model's context is ${nPositions} positions`);
    const bad = ids.findIndex((id) => id >= V);
    if (bad >= 0) throw new RangeError(`GPT-2: token id ${ids[bad]} at position ${bad} is not below ${V}`);
    const mode = options.attention;
    const pooled = mode === 'pooled';
    const S = pooled ? Math.min(T, options.poolSize ?? GPT2_POOL_SIZE) : T;
    if (!(Number.isInteger(S) && S >= 1)) throw new RangeError(`GPT-2: pool size ${options.poolSize}`);
    const g = this.graphFor(T);
    this.keptValid = false;
    const kept = options.keepLayerInputs && keepsLayerInputs(this.config, T) ? this.keptFor(g) : null;
    this.device.queue.writeBuffer(g.tokens, 0, Uint32Array.from(ids));
    const mapFloats = H * S * S;
    const mapBytes = L * mapFloats * 4;
    if (mode !== 'none') {
      checkStorageSize(
        { limits: deviceLimits(this.device) },
        msg(str`GPT-2 attention maps (${L} layers)`),
        mapBytes,
      );
    }
    const enc = this.device.createCommandEncoder({ label: `${this.label}.forward` });
    const maps = mode === 'none' ? null : this.readback.acquire(mapBytes);
    const qkvLayer = options.qkvLayer;
    if (qkvLayer !== undefined && !(Number.isInteger(qkvLayer) && qkvLayer >= 0 && qkvLayer < L))
      throw new RangeError(`GPT-2: layer ${qkvLayer} is outside 0 … ${L - 1}`);
    const qkvBytes = T * 3 * this.config.nEmbd * 4;
    const qkv = qkvLayer === undefined ? null : this.readback.acquire(qkvBytes);
    let dispatches = 0;
    const pass = (list: Dispatch[], name: string) => {
      const p = enc.beginComputePass({ label: `${this.label}.${name}` });
      encodeDispatches(p, list);
      p.end();
      dispatches += list.length;
    };
    pass(g.embed, 'embed');
    const inputBytes = T * this.config.nEmbd * 4;
    for (let l = 0; l < L; l++) {
      if (kept) enc.copyBufferToBuffer(g.residual, 0, kept.inputs[l]!, 0, inputBytes);
      pass(g.pre[l]!, `layers.${l}.attention`);
      if (qkv && l === qkvLayer) enc.copyBufferToBuffer(g.qkv, 0, qkv, 0, qkvBytes);
      if (maps && !pooled) enc.copyBufferToBuffer(g.attention, 0, maps, l * mapFloats * 4, mapFloats * 4);
      if (maps && pooled) {
        const pool = this.poolFor(l, mapFloats);
        const rect = { row0: 0, col0: 0, rows: T, cols: T };
        pool.kernel.encode(
          enc,
          { heads: H, L: T },
          { rect, outRows: S, outCols: S, mode: 'max' },
          {
            src: g.attention,
            out: pool.out,
          },
        );
        dispatches++;
        enc.copyBufferToBuffer(pool.out, 0, maps, l * mapFloats * 4, mapFloats * 4);
      }
      pass(g.post[l]!, `layers.${l}.rest`);
    }
    pass(g.final, 'ln_f');
    const readLogits = this.encodeLogits(enc, g, T - 1);
    this.submit(enc, dispatches + g.unembed.length);
    const logits = await readLogits();
    const attention: Float32Array[] = [];
    if (maps) {
      const all = new Float32Array(await this.readback.read(maps, mapBytes));
      for (let l = 0; l < L; l++) attention.push(all.slice(l * mapFloats, (l + 1) * mapFloats));
    }
    const qkvData = qkv ? new Float32Array(await this.readback.read(qkv, qkvBytes)) : undefined;
    this.keptValid = kept !== null;
    if (kept) kept.ids = Uint32Array.from(ids);
    return {
      T,
      logits,
      top: topK(logits, GPT2_TOP),
      attention,
      mapSize: S,
      pooled,
      ...(qkvData ? { qkv: qkvData } : {}),
      keptLayerInputs: kept !== null,
    };
  }

  /** Copies row `t` of the final hidden states, unembeds it and copies the logits out; returns the reader. */
  private encodeLogits(enc: GPUCommandEncoder, g: Gpt2Graph, t: number): () => Promise<Float32Array> {
    const C = this.config.nEmbd;
    const bytes = this.config.vocab * 4;
    enc.copyBufferToBuffer(g.hidden, t * C * 4, g.row, 0, C * 4);
    const p = enc.beginComputePass({ label: `${this.label}.unembed` });
    encodeDispatches(p, g.unembed);
    p.end();
    const dst = this.readback.acquire(bytes);
    enc.copyBufferToBuffer(g.logits, 0, dst, 0, bytes);
    return async () => new Float32Array(await this.readback.read(dst, bytes));
  }

  private submit(enc: GPUCommandEncoder, dispatches: number): void {
    this.device.queue.submit([enc.finish()]);
    this.lastDispatches = dispatches;
    this.lastSubmits = 1;
    this.totalDispatches += dispatches;
    this.totalSubmits += 1;
  }

  private graphFor(T: number): Gpt2Graph {
    if (this.graph?.T === T) return this.graph;
    checkGraphLimits(deviceLimits(this.device), this.config, T);
    this.dropGraph();
    this.graphRes = new ops.OpResources(this.device);
    this.graph = buildGpt2Graph(this.device, this.graphRes, this.config, this.tensors, T, this.label);
    return this.graph;
  }

  /** Buffers for every layer's input at the graph's T, and each layer's ln_1 + c_attn from its own one. */
  private keptFor(g: Gpt2Graph): KeptInputs {
    if (this.kept?.T === g.T) return this.kept;
    const C = this.config.nEmbd;
    const inputs: GPUBuffer[] = [];
    const qkv: Dispatch[][] = [];
    for (let l = 0; l < this.config.nLayer; l++) {
      const x = createStorageBuffer(this.device, `${this.label}.layers.${l}.input`, g.T * C * 4);
      inputs.push(x);
      const where = { layer: l, T: g.T, label: `${this.label}.kept` };
      qkv.push(
        layerQkvDispatches(this.graphRes!, this.config, this.tensors, where, {
          x,
          lnOut: g.lnOut,
          qkv: g.qkv,
        }),
      );
    }
    this.kept = { T: g.T, ids: new Uint32Array(0), inputs, qkv };
    return this.kept;
  }

  private readonly poolOut: GPUBuffer[] = [];
  private poolFor(l: number, floats: number): { kernel: PoolKernel; out: GPUBuffer } {
    this.pools[l] ??= new PoolKernel(this.device, `${this.label}.layers.${l}.pool`);
    let out = this.poolOut[0];
    if (!out || out.size < floats * 4) {
      out?.destroy();
      out = this.device.createBuffer({
        label: `${this.label}.pooled`,
        size: Math.max(16, Math.ceil((floats * 4) / 16) * 16),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      });
      this.poolOut[0] = out;
    }
    return { kernel: this.pools[l], out };
  }

  private dropGraph(): void {
    for (const b of this.graph?.buffers ?? []) b.destroy();
    this.graphRes?.destroy();
    for (const p of this.pools) p.destroy();
    this.pools = [];
    for (const b of this.poolOut.splice(0)) b.destroy();
    for (const b of this.kept?.inputs ?? []) b.destroy();
    this.kept = null;
    this.keptValid = false;
    this.graph = null;
    this.graphRes = null;
  }
}
