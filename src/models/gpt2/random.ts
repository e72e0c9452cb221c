/**
 * Seeded random GPT-2-shaped weights (Philox4x32-10 + Box–Muller), for tests, the benchmark and the Node
 * check: tensor i of gpt2TensorSpecs gets key (seed, i), element n the counter (n/4, 0, 0, 0). Scales are
 * chosen so attention is far from uniform and the residual stream stays of order 1.
 */
import { philox4x32, unitFloat } from '../../kernels/random/philox.ref';
import { gpt2TensorSpecs, type Gpt2Config } from './types';

function normals(n: number, seed: number, stream: number, std: number, mean = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 4) {
    const w = philox4x32([i / 4, 0, 0, 0], [seed, stream]);
    for (let p = 0; p < 4 && i + p < n; p += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - unitFloat(w[p]!)));
      const th = 2 * Math.PI * unitFloat(w[p + 1]!);
      out[i + p] = mean + std * r * Math.cos(th);
      if (i + p + 1 < n) out[i + p + 1] = mean + std * r * Math.sin(th);
    }
  }
  return out;
}

/** Every tensor of `config` by canonical name. */
export function randomGpt2Tensors(config: Gpt2Config, seed: number): Map<string, Float32Array> {
  const C = config.nEmbd;
  const out = new Map<string, Float32Array>();
  gpt2TensorSpecs(config).forEach((spec, i) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const leaf = spec.name.split('.').slice(-2).join('.');
    let std = 0.1;
    let mean = 0;
    if (/ln_\w+\.weight$/.test(spec.name)) [std, mean] = [0.1, 1];
    else if (leaf === 'c_attn.weight') std = 2 / Math.sqrt(C);
    else if (spec.name.endsWith('.weight') && spec.shape.length === 2 && !spec.name.startsWith('w'))
      std = 1 / Math.sqrt(spec.shape[0]!);
    else if (spec.name === 'wte.weight') std = 0.5;
    out.set(spec.name, normals(n, seed, i, std, mean));
  });
  return out;
}
