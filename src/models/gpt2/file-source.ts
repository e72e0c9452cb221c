/**
 * A dropped GPT-2 safetensors file as a Gpt2TensorSource: the header is read and checked once, then each
 * tensor is read on its own with `blob.slice` (a 500 MB file is never held whole), by canonical name.
 */
import { msg, str } from '@lit/localize';
import { inferGpt2Config } from './config';
import { readSafetensorsHeader, readTensor, type SafetensorsHeader } from './safetensors';
import { gpt2TensorSpecs, type Gpt2TensorSource, type LoadProgress } from './types';

/** A tensor source that also knows how many bytes of its file each tensor occupies (for progress). */
export interface SizedTensorSource extends Gpt2TensorSource {
  /** Stored bytes of a canonical tensor (F16/BF16: 2 per element). */
  tensorBytes(name: string): number;
}

export interface OpenedGpt2File {
  source: SizedTensorSource;
  header: SafetensorsHeader;
  prefix: '' | 'transformer.';
  headSource: 'config.json' | 'standard';
  /** Things to say on screen: the head count's origin, ignored tensors, stored dtypes. */
  notes: string[];
}

/**
 * Reads the header of a GPT-2 safetensors file and checks it against GPT-2 (SafetensorsError or
 * Gpt2ConfigError name the problem); reads no tensor data.
 */
export async function openGpt2File(blob: Blob, configJson?: unknown): Promise<OpenedGpt2File> {
  const header = await readSafetensorsHeader(blob);
  const { config, prefix, headSource, notes } = inferGpt2Config(header, configJson);
  const entry = (name: string) => {
    const e = header.tensors.get(prefix + name);
    if (!e) throw new RangeError(msg(str`The model has no tensor “${name}”.`));
    return e;
  };
  const source: SizedTensorSource = {
    config,
    async tensor(name, signal) {
      entry(name);
      return readTensor(blob, header, prefix + name, signal);
    },
    tensorBytes(name) {
      const e = entry(name);
      return e.end - e.begin;
    },
  };
  return { source, header, prefix, headSource, notes };
}

function bytesOf(source: Gpt2TensorSource, name: string, shape: number[]): number {
  const sized = source as Partial<SizedTensorSource>;
  if (typeof sized.tensorBytes === 'function') return sized.tensorBytes(name);
  return 4 * shape.reduce((a, b) => a * b, 1);
}

export interface ReadAllOptions {
  signal?: AbortSignal;
  /** Called before the first tensor (done 0) and after each one; `done` only grows, ending at `total`. */
  onProgress?: (p: LoadProgress) => void;
}

/** Reads every tensor the forward pass needs, one at a time (the CPU path); rejects with AbortError. */
export async function readAllTensors(
  source: Gpt2TensorSource,
  options: ReadAllOptions = {},
): Promise<Map<string, Float32Array>> {
  const { signal, onProgress } = options;
  const specs = gpt2TensorSpecs(source.config).map((s) => ({
    ...s,
    bytes: bytesOf(source, s.name, s.shape),
  }));
  const total = specs.reduce((a, s) => a + s.bytes, 0);
  const out = new Map<string, Float32Array>();
  let done = 0;
  onProgress?.({ done, total, tensor: specs[0]?.name ?? '' });
  for (const spec of specs) {
    signal?.throwIfAborted();
    const t = await source.tensor(spec.name, signal);
    const elements = spec.shape.reduce((a, b) => a * b, 1);
    if (t.length !== elements) {
      const { name } = spec;
      const n = t.length;
      throw new RangeError(msg(str`Tensor “${name}” has ${n} values; its shape needs ${elements}.`));
    }
    out.set(spec.name, t);
    done += spec.bytes;
    onProgress?.({ done, total, tensor: spec.name });
  }
  return out;
}
