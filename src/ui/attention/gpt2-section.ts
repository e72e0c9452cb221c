/**
 * The Attention lab's GPT-2 model (issue 14), as one reactive controller: the dropped checkpoint (component
 * state, never in the URL) streamed to the GPU with progress and Cancel, the forward pass of the sentence,
 * the chosen layer's Q, K, V for the lab's stage views, and the grid / table / next-token panel state.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { msg, str } from '@lit/localize';
import {
  GPT2_CPU_MAX_PARAMS,
  GPT2_CPU_MAX_T,
  GPT2_FULL_ATTENTION_MAX,
  GpuGpt2,
  gpt2ParamCount,
  attentionModeFor,
  type Gpt2ForwardResult,
} from '../../engine/gpt2';
import { isAbortError, throwIfAborted, type RunControl } from '../../gpu/compute';
import { adapterName, type GpuContext } from '../../gpu/device';
import { checkGpt2Limits } from '../../models/gpt2/config';
import { openGpt2File, type SizedTensorSource } from '../../models/gpt2/file-source';
import type { Gpt2Config, LoadProgress } from '../../models/gpt2/types';
import { ATTENTION_LIMITS, type AttentionInputs } from '../../kernels/attention/spec';
import type { AttentionState } from '../../state/attention';
import { formatCount } from '../../util/format';
import { downloadJson } from '../common/export';
import {
  exportRefusal,
  gpt2AttentionJson,
  headRows,
  headTableCsv,
  sortHeadRows,
  headWindow,
  splitQkv,
  stageNotes,
  type HeadRow,
  type HeadWindow,
  type HeadSort,
  type NextToken,
} from './gpt2-inputs';

import { CpuGpt2, cpuNote, type Gpt2Runner } from './gpt2-cpu';

type Tokenizer = typeof import('../../models/gpt2/tokenizer');

/** What the last forward pass computed, for the grid, the table and the next-token list. */
export interface Gpt2Shown {
  text: string;
  layer: number;
  ids: number[];
  tokens: string[];
  result: Gpt2ForwardResult;
  /** Every head's scores (null for pooled maps: the scores need the full ones). */
  rows: HeadRow[] | null;
  next: NextToken[];
  backend: string;
}

/** What the lab's run gets from the model: tokens, Q, K, V of a block of heads, notes. */
export interface Gpt2Prepared {
  tokens: string[];
  inputs: AttentionInputs;
  notes: string[];
  /** The block's first head (model numbering from 0) and the model's head count. */
  headWindow: { first: number; total: number };
}

export interface Gpt2Loaded {
  name: string;
  config: Gpt2Config;
  notes: string[];
  model: Gpt2Runner;
  backend: string;
  /** Run by the float64 reference in a worker (no WebGPU; small models only). */
  cpu: boolean;
  generation: number;
}

export class Gpt2Section implements ReactiveController {
  loaded: Gpt2Loaded | null = null;
  /** Bumped with each loaded file (part of the lab's run key with model=gpt2). */
  version = 0;
  loadError: string | null = null;
  progress: { done: number; total: number; tensor: string } | null = null;
  shown: Gpt2Shown | null = null;
  /** Top-5 after a chosen position (null: the last one). */
  nextAt: { position: number; next: NextToken[] } | null = null;
  sort: HeadSort = { column: 'previous', descending: true };
  message: string | null = null;
  private abort: AbortController | null = null;
  private tokenizer: Tokenizer | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly set: (patch: Partial<AttentionState>) => void,
    private readonly gpu: () => Promise<GpuContext | null>,
    /** The runtime's device generation: a model loaded on an older device is gone. */
    private readonly generation: () => number,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  /** Leaving the lab drops the file (the shell makes a new lab element on return): free its GPU memory. */
  hostDisconnected(): void {
    this.abort?.abort();
    this.loaded?.model.destroy();
    this.loaded = null;
    this.shown = null;
  }

  /**
   * The loaded file and the block of heads the stage views run (a head in another block runs again, and so
   * does one beyond the model: its note).
   */
  runKey(p: AttentionState): string {
    if (p.model !== 'gpt2') return '';
    const beyond = p.head >= (this.loaded?.config.nHead ?? Infinity);
    return `${this.version}:${this.headWindow(p.head)?.first ?? 0}:${beyond}`;
  }

  requestUpdate(): void {
    this.host.requestUpdate();
  }

  get loading(): boolean {
    return this.abort !== null;
  }

  cancel(): void {
    this.abort?.abort();
  }

  /** The chosen files: one .safetensors (required) and an optional config.json. */
  async load(files: readonly File[]): Promise<void> {
    const weights = files.find((f) => !/\.json$/i.test(f.name));
    const configFile = files.find((f) => /\.json$/i.test(f.name));
    this.loadError = null;
    if (!weights) {
      this.fail(msg('Choose a .safetensors file (a config.json may come with it).'));
      return;
    }
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.progress = { done: 0, total: 0, tensor: '' };
    this.host.requestUpdate();
    try {
      let configJson: unknown;
      if (configFile) {
        try {
          configJson = JSON.parse(await configFile.text());
        } catch (e) {
          const name = configFile.name;
          const why = (e as Error).message;
          throw new RangeError(msg(str`${name} is not valid JSON: ${why}`));
        }
      }
      const opened = await openGpt2File(weights, configJson);
      // Cancel pressed while the header was read (a slow disk) ends the load here, not after it.
      throwIfAborted(abort.signal);
      const onProgress = (p: LoadProgress) => {
        this.progress = p;
        this.host.requestUpdate();
      };
      const { model, backend, cpu } = await this.start(opened.source, abort.signal, onProgress);
      this.loaded?.model.destroy();
      this.loaded = {
        name: weights.name,
        config: opened.source.config,
        notes: cpu ? [...opened.notes, cpuNote(opened.source.config)] : opened.notes,
        model,
        backend,
        cpu,
        generation: this.generation(),
      };
      this.shown = null;
      this.nextAt = null;
      this.version++;
      this.set({ model: 'gpt2', mask: 'causal', bias: 'none', scale: 0, layer: 0, head: 0, row: -1 });
    } catch (e) {
      const name = weights.name;
      const why = (e as Error).message;
      this.loadError = isAbortError(e)
        ? msg(str`Loading ${name} was cancelled.`)
        : msg(str`Could not load ${name}: ${why}`);
    } finally {
      if (this.abort === abort) this.abort = null;
      this.progress = null;
      this.host.requestUpdate();
    }
  }

  /**
   * The model on this page's GPU; without WebGPU, a small one (≤ 16 M parameters) on the CPU reference in a
   * worker, a larger one refused.
   */
  private async start(
    source: SizedTensorSource,
    signal: AbortSignal,
    onProgress: (p: LoadProgress) => void,
  ): Promise<{ model: Gpt2Runner; backend: string; cpu: boolean }> {
    const config = source.config;
    const ctx = await this.gpu();
    if (!ctx) {
      const n = gpt2ParamCount(config);
      if (n > GPT2_CPU_MAX_PARAMS) {
        const [count, max] = [formatCount(n), formatCount(GPT2_CPU_MAX_PARAMS)];
        throw new Error(
          `${msg(
            'GPT-2 runs in WebGPU only, and this page has no WebGPU device (the float64 CPU reference is too slow for real checkpoints).',
          )} ${msg(str`Without WebGPU only models up to ${max} parameters run, on the CPU; this one has ${count}.`)}`,
        );
      }
      return { model: await CpuGpt2.load(source, { signal, onProgress }), backend: 'CPU', cpu: true };
    }
    const refused = checkGpt2Limits(config, {
      maxStorageBufferBindingSize: Number(ctx.device.limits.maxStorageBufferBindingSize),
      maxBufferSize: Number(ctx.device.limits.maxBufferSize),
    });
    if (refused) throw new RangeError(msg(str`This model does not fit this GPU: ${refused}`));
    const model = await GpuGpt2.load(ctx.device, source, { signal, onProgress, label: 'attention.gpt2' });
    return { model, backend: `WebGPU: ${adapterName(ctx.info)}`, cpu: false };
  }

  private fail(message: string) {
    this.loadError = message;
    this.host.requestUpdate();
  }

  private async tokens(): Promise<Tokenizer> {
    this.tokenizer ??= await import('../../models/gpt2/tokenizer');
    return this.tokenizer;
  }

  /** The heads the stage views run for `head` (all of them up to the kernels' 16), or null without a model. */
  headWindow(head: number): HeadWindow | null {
    const H = this.loaded?.config.nHead;
    return H ? headWindow(head, H, ATTENTION_LIMITS.maxHeads) : null;
  }

  /**
   * The sentence through the loaded model (reusing the last forward when the text matches: a new layer is
   * then one ln_1 + c_attn from its kept input), and the chosen layer's Q, K, V of the block of ≤ 16 heads
   * holding the chosen head. Throws a RangeError naming the problem (no file, too long a text).
   */
  async prepare(p: AttentionState, control?: RunControl): Promise<Gpt2Prepared> {
    let loaded = this.loaded;
    if (loaded && !loaded.cpu && loaded.generation !== this.generation()) {
      loaded.model.destroy();
      this.loaded = loaded = null;
      this.shown = null;
      this.loadError = msg('The GPU device was reset, and the model with it: load the file again.');
      this.host.requestUpdate();
    }
    if (!loaded)
      throw new RangeError(msg('Load a GPT-2 checkpoint first: “Load GPT-2 weights (.safetensors)” above.'));
    const { nLayer, nHead: H, nEmbd: C } = loaded.config;
    const layer = Math.min(p.layer, nLayer - 1);
    const shown = await this.forwardFor(loaded, p.text, layer, control);
    const T = shown.ids.length;
    const win = headWindow(p.head, H, ATTENTION_LIMITS.maxHeads);
    const notes = stageNotes(p, loaded.config, layer, win);
    const qkv = shown.result.qkv;
    if (!qkv) throw new Error('GPT-2: the forward pass returned no Q, K, V');
    const inputs = splitQkv(qkv, T, C, H, win.first, win.count);
    return { tokens: shown.tokens, inputs, notes, headWindow: { first: win.first, total: H } };
  }

  /**
   * What `text` gives at `layer`: the last forward when both match; that forward with the layer's QKV from
   * its kept input when only the layer differs (GpuGpt2.layerQkv); else a whole forward pass.
   */
  private async forwardFor(
    loaded: Gpt2Loaded,
    text: string,
    layer: number,
    control?: RunControl,
  ): Promise<Gpt2Shown> {
    const old = this.shown;
    if (old && old.text === text && old.layer === layer) return old;
    let shown: Gpt2Shown;
    const qkv = old?.text === text ? await loaded.model.layerQkv(layer, old.ids) : null;
    if (old && qkv) {
      shown = { ...old, layer, result: { ...old.result, qkv } };
    } else {
      const { nPositions } = loaded.config;
      const tok = await this.tokens();
      const ids = tok.encodeGpt2(text);
      const T = ids.length;
      if (T === 0) throw new RangeError(msg('The sentence has no tokens: type some text.'));
      if (T > nPositions)
        throw new RangeError(
          msg(str`The text is ${T} GPT-2 tokens, but this model's context (n_positions) is ${nPositions}.`),
        );
      if (loaded.cpu && T > GPT2_CPU_MAX_T)
        throw new RangeError(
          msg(
            str`The text is ${T} GPT-2 tokens; without WebGPU the CPU reference runs at most ${GPT2_CPU_MAX_T}.`,
          ),
        );
      const result = await loaded.model.forward(
        Uint32Array.from(ids),
        {
          attention: attentionModeFor(T),
          qkvLayer: layer,
          keepLayerInputs: true,
        },
        control,
      );
      shown = {
        text,
        layer,
        ids,
        tokens: tok.gpt2TokenStrings(ids),
        result,
        rows: result.pooled ? null : headRows(result.attention, loaded.config.nHead),
        next: this.named(result.top, tok),
        backend: loaded.backend,
      };
      this.nextAt = null;
    }
    this.shown = shown;
    this.host.requestUpdate();
    return shown;
  }

  private named(top: readonly { id: number; p: number }[], tok: Tokenizer): NextToken[] {
    const strings = tok.gpt2TokenStrings(top.map((t) => t.id));
    return top.map((t, i) => ({ id: t.id, token: strings[i]!, p: t.p }));
  }

  /** Top-5 after `position` (the last one: the forward's own list). */
  async nextAfter(position: number): Promise<void> {
    const shown = this.shown;
    const loaded = this.loaded;
    if (!shown || !loaded) return;
    if (position >= shown.ids.length - 1 || position < 0) {
      this.nextAt = null;
    } else {
      try {
        const { top } = await loaded.model.logitsAt(position);
        this.nextAt = { position, next: this.named(top, await this.tokens()) };
      } catch (e) {
        const why = (e as Error).message;
        this.message = msg(str`Could not compute the next tokens: ${why}`);
      }
    }
    this.host.requestUpdate();
  }

  sortedRows(): HeadRow[] | null {
    return this.shown?.rows ? sortHeadRows(this.shown.rows, this.sort) : null;
  }

  /** "Export model attention (JSON)"; says why not (pooled maps, too many numbers) in `message`. */
  exportAttention(): void {
    const shown = this.shown;
    const loaded = this.loaded;
    if (!shown || !loaded) return;
    const why = exportRefusal(loaded.config, shown.ids.length, shown.result.pooled, GPT2_FULL_ATTENTION_MAX);
    this.message = why;
    this.host.requestUpdate();
    if (why) return;
    downloadJson(
      `kernelscope-attention-gpt2-${loaded.config.nLayer}x${loaded.config.nHead}-T${shown.ids.length}.json`,
      gpt2AttentionJson(
        loaded.config,
        { ids: shown.ids, tokens: shown.tokens, attention: shown.result.attention },
        shown.next,
        shown.backend,
      ),
    );
  }

  tableCsv() {
    return headTableCsv(this.sortedRows() ?? []);
  }
}
