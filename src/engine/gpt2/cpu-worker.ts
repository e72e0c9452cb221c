/// <reference lib="webworker" />
// Web Worker entry of GPT-2 on the CPU (src/engine/gpt2/cpu.ts): holds one small model, answers one request
// at a time, and reports each layer of a forward pass as progress. Cancel terminates the worker.
import type { Gpt2Config } from '../../models/gpt2/types';
import { Gpt2CpuModel } from './cpu';

export type Gpt2CpuRequest =
  | { op: 'load'; config: Gpt2Config; tensors: [string, Float32Array][] }
  | { op: 'forward'; ids: number[]; qkvLayer?: number }
  | { op: 'layerQkv'; layer: number; ids: number[] }
  | { op: 'logitsAt'; position: number };

export type Gpt2CpuReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string }
  | { id: number; layer: number };

let model: Gpt2CpuModel | null = null;
const post = (reply: Gpt2CpuReply) => (self as unknown as Worker).postMessage(reply);

function answer(id: number, r: Gpt2CpuRequest): unknown {
  if (r.op === 'load') {
    model = new Gpt2CpuModel(r.config, new Map(r.tensors));
    return null;
  }
  if (!model) throw new Error('GPT-2 CPU worker: no model loaded');
  switch (r.op) {
    case 'forward':
      return model.forward(r.ids, r.qkvLayer, (layer) => post({ id, layer }));
    case 'layerQkv':
      return model.layerQkv(r.layer, r.ids);
    case 'logitsAt':
      return model.logitsAt(r.position);
  }
}

self.onmessage = (event: MessageEvent<{ id: number; request: Gpt2CpuRequest }>) => {
  const { id, request } = event.data;
  try {
    post({ id, ok: true, value: answer(id, request) });
  } catch (e) {
    post({ id, ok: false, error: (e as Error).message });
  }
};
