/**
 * GPT-2 (issue 14) as the rest of the code sees it: the configuration, the canonical tensor names and shapes
 * of a Hugging Face GPT-2 checkpoint (Conv1D weights stored [in][out]), and a tensor source that hands out
 * one tensor at a time as f32 (a dropped file streams them with File.slice; tests build them in memory).
 */

/** GPT-2's byte-level BPE vocabulary size. */
export const GPT2_VOCAB = 50257;

export interface Gpt2Config {
  nLayer: number;
  nHead: number;
  /** Width C (d_model); d_head = C / nHead. */
  nEmbd: number;
  vocab: number;
  /** Context length (rows of wpe). */
  nPositions: number;
  /** LayerNorm ε (GPT-2: 1e-5). */
  eps: number;
}

/** The standard head count of each published width (gpt2, gpt2-medium, gpt2-large, gpt2-xl). */
export const STANDARD_HEADS: Readonly<Record<number, number>> = Object.freeze({
  768: 12,
  1024: 16,
  1280: 20,
  1600: 25,
});

export const GPT2_LN_EPS = 1e-5;

export interface TensorSpec {
  /** Canonical name, without the optional "transformer." prefix. */
  name: string;
  shape: number[];
}

/** Names of layer i's tensors. */
export function layerTensorNames(i: number) {
  const h = `h.${i}`;
  return {
    ln1g: `${h}.ln_1.weight`,
    ln1b: `${h}.ln_1.bias`,
    attnW: `${h}.attn.c_attn.weight`,
    attnB: `${h}.attn.c_attn.bias`,
    attnProjW: `${h}.attn.c_proj.weight`,
    attnProjB: `${h}.attn.c_proj.bias`,
    ln2g: `${h}.ln_2.weight`,
    ln2b: `${h}.ln_2.bias`,
    fcW: `${h}.mlp.c_fc.weight`,
    fcB: `${h}.mlp.c_fc.bias`,
    projW: `${h}.mlp.c_proj.weight`,
    projB: `${h}.mlp.c_proj.bias`,
  };
}

/**
 * Every tensor the forward pass needs, in file-independent order: wte [V][C], wpe [P][C], per layer ln_1
 * [C]×2, c_attn [C][3C] + [3C] (q | k | v along the output), attn c_proj [C][C] + [C], ln_2 [C]×2, c_fc
 * [C][4C] + [4C], mlp c_proj [4C][C] + [C]; ln_f [C]×2. (Checkpoints may hold more, e.g. the causal-mask
 * buffers `h.N.attn.bias`; they are not needed.)
 */
export function gpt2TensorSpecs(
  c: Pick<Gpt2Config, 'nLayer' | 'nEmbd' | 'vocab' | 'nPositions'>,
): TensorSpec[] {
  const C = c.nEmbd;
  const out: TensorSpec[] = [
    { name: 'wte.weight', shape: [c.vocab, C] },
    { name: 'wpe.weight', shape: [c.nPositions, C] },
  ];
  for (let i = 0; i < c.nLayer; i++) {
    const n = layerTensorNames(i);
    out.push(
      { name: n.ln1g, shape: [C] },
      { name: n.ln1b, shape: [C] },
      { name: n.attnW, shape: [C, 3 * C] },
      { name: n.attnB, shape: [3 * C] },
      { name: n.attnProjW, shape: [C, C] },
      { name: n.attnProjB, shape: [C] },
      { name: n.ln2g, shape: [C] },
      { name: n.ln2b, shape: [C] },
      { name: n.fcW, shape: [C, 4 * C] },
      { name: n.fcB, shape: [4 * C] },
      { name: n.projW, shape: [4 * C, C] },
      { name: n.projB, shape: [C] },
    );
  }
  out.push({ name: 'ln_f.weight', shape: [C] }, { name: 'ln_f.bias', shape: [C] });
  return out;
}

export interface LoadProgress {
  /** Bytes read so far and in all. */
  done: number;
  total: number;
  /** The tensor being read. */
  tensor: string;
}

/** Hands out the checkpoint's tensors as f32, by canonical name, one at a time. */
export interface Gpt2TensorSource {
  readonly config: Gpt2Config;
  /** Rejects with an AbortError when `signal` aborts; a RangeError names a missing or misshaped tensor. */
  tensor(name: string, signal?: AbortSignal): Promise<Float32Array>;
}

/** A source over tensors already in memory (tests, the float64 reference). */
export function memorySource(
  config: Gpt2Config,
  tensors: ReadonlyMap<string, Float32Array>,
): Gpt2TensorSource {
  return {
    config,
    async tensor(name) {
      const t = tensors.get(name);
      if (!t) throw new RangeError(`The model has no tensor “${name}”.`);
      return t;
    },
  };
}
