/**
 * GPT-2 on the CPU for pages without WebGPU (issue 14): a small checkpoint (≤ 16 M parameters) read whole
 * with progress and Cancel, then run by the float64 reference in its own worker (src/engine/gpt2/cpu-worker.ts)
 * one request at a time. Cancel during a forward terminates the worker; the next call starts a new one and
 * sends it the weights again (kept here: a small model's few MB).
 */
import { msg, str } from '@lit/localize';
import type { RunControl } from '../../gpu/compute';
import {
  GPT2_CPU_MAX_PARAMS,
  GPT2_CPU_MAX_T,
  gpt2ParamCount,
  type Gpt2ForwardOptions,
  type Gpt2ForwardResult,
} from '../../engine/gpt2';
import type { Gpt2CpuReply, Gpt2CpuRequest } from '../../engine/gpt2/cpu-worker';
import type { TopToken } from '../../models/gpt2/ref';
import { readAllTensors } from '../../models/gpt2/file-source';
import type { Gpt2Config, Gpt2TensorSource, LoadProgress } from '../../models/gpt2/types';
import { formatCount } from '../../util/format';
import { SerialQueue } from '../../util/serial-queue';

/** What the attention lab asks of a loaded GPT-2, on the GPU (GpuGpt2) or here. */
export interface Gpt2Runner {
  forward(ids: Uint32Array, options: Gpt2ForwardOptions, control?: RunControl): Promise<Gpt2ForwardResult>;
  layerQkv(layer: number, ids: ArrayLike<number>): Promise<Float32Array | null>;
  logitsAt(position: number): Promise<{ logits: Float32Array; top: TopToken[] }>;
  destroy(): void;
}

/** Said on screen when a model runs on the CPU. */
export function cpuNote(config: Gpt2Config): string {
  const n = formatCount(gpt2ParamCount(config));
  const [max, maxT] = [formatCount(GPT2_CPU_MAX_PARAMS), GPT2_CPU_MAX_T];
  return msg(
    str`No WebGPU here: this small model (${n} parameters; at most ${max}) runs on the float64 CPU reference in a worker, up to ${maxT} tokens.`,
  );
}

const cancelled = () => new DOMException(msg('Cancelled'), 'AbortError');

export class CpuGpt2 implements Gpt2Runner {
  private readonly queue = new SerialQueue();
  private worker: Worker | null = null;
  private nextId = 1;
  private destroyed = false;

  private constructor(
    readonly config: Gpt2Config,
    private readonly tensors: Map<string, Float32Array>,
  ) {}

  /** Reads every tensor (progress by bytes, AbortError on Cancel) and starts the worker with them. */
  static async load(
    source: Gpt2TensorSource,
    options: { signal?: AbortSignal; onProgress?: (p: LoadProgress) => void } = {},
  ): Promise<CpuGpt2> {
    const tensors = await readAllTensors(source, options);
    const model = new CpuGpt2(source.config, tensors);
    await model.call({ op: 'load', config: source.config, tensors: [...tensors] });
    return model;
  }

  forward(
    ids: Uint32Array,
    options: Gpt2ForwardOptions,
    control: RunControl = {},
  ): Promise<Gpt2ForwardResult> {
    const L = this.config.nLayer;
    const onLayer = (l: number) => {
      const [done, layer] = [l + 1, l + 1];
      control.onProgress?.({
        phase: 'run',
        message: msg(str`GPT-2 on the CPU: layer ${layer} of ${L}…`),
        done,
        total: L,
      });
    };
    const request: Gpt2CpuRequest = {
      op: 'forward',
      ids: Array.from(ids),
      ...(options.qkvLayer !== undefined ? { qkvLayer: options.qkvLayer } : {}),
    };
    return this.call(request, control.signal, onLayer) as Promise<Gpt2ForwardResult>;
  }

  layerQkv(layer: number, ids: ArrayLike<number>): Promise<Float32Array | null> {
    return this.call({ op: 'layerQkv', layer, ids: Array.from(ids) }) as Promise<Float32Array | null>;
  }

  logitsAt(position: number): Promise<{ logits: Float32Array; top: TopToken[] }> {
    return this.call({ op: 'logitsAt', position }) as Promise<{ logits: Float32Array; top: TopToken[] }>;
  }

  destroy(): void {
    this.destroyed = true;
    this.worker?.terminate();
    this.worker = null;
  }

  /** A worker holding the model: the running one, or a new one sent the weights (after a Cancel). */
  private async ensure(): Promise<Worker> {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('../../engine/gpt2/cpu-worker.ts', import.meta.url), {
      type: 'module',
    });
    this.worker = worker;
    await this.post(worker, { op: 'load', config: this.config, tensors: [...this.tensors] });
    return worker;
  }

  private call(
    request: Gpt2CpuRequest,
    signal?: AbortSignal,
    onLayer?: (l: number) => void,
  ): Promise<unknown> {
    return this.queue.run(async () => {
      if (this.destroyed) throw new Error('GPT-2: the model was destroyed');
      if (signal?.aborted) throw cancelled();
      const worker = await this.ensure();
      if (request.op === 'load') return null;
      return this.post(worker, request, signal, onLayer);
    });
  }

  /** One request to `worker` and its answer; an abort terminates the worker. */
  private post(
    worker: Worker,
    request: Gpt2CpuRequest,
    signal?: AbortSignal,
    onLayer?: (l: number) => void,
  ): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const stop = (e: Error) => {
        worker.removeEventListener('message', onMessage);
        worker.removeEventListener('error', onError);
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      };
      const onMessage = (event: MessageEvent<Gpt2CpuReply>) => {
        const r = event.data;
        if (r.id !== id) return;
        if ('layer' in r) return onLayer?.(r.layer);
        if (!r.ok) return stop(new Error(r.error));
        worker.removeEventListener('message', onMessage);
        worker.removeEventListener('error', onError);
        signal?.removeEventListener('abort', onAbort);
        resolve(r.value);
      };
      const onError = (event: ErrorEvent) => {
        this.drop(worker);
        const why = event.message;
        stop(new Error(msg(str`CPU worker failed: ${why}`)));
      };
      const onAbort = () => {
        this.drop(worker);
        stop(cancelled());
      };
      worker.addEventListener('message', onMessage);
      worker.addEventListener('error', onError);
      signal?.addEventListener('abort', onAbort);
      worker.postMessage({ id, request });
    });
  }

  private drop(worker: Worker): void {
    worker.terminate();
    if (this.worker === worker) this.worker = null;
  }
}
