/**
 * LayerNorm over the rows of a [rows][C] activation (shaders/gpt2/layernorm.wgsl), recorded as Dispatch
 * lists like the nn ops: one workgroup per row under the nn 'workgroup' style, one invocation per row under
 * 'barrier-free' (software adapters). Reference: layernorm.ref.ts.
 */
import layernormWgsl from '../../../shaders/gpt2/layernorm.wgsl?raw';
import { createBindGroup } from '../../gpu/compute';
import { UniformLayout } from '../../gpu/uniforms';
import { barrierFree, type OpResources } from '../nn/op-resources';
import type { Dispatch } from '../nn/pipelines';
import { checkSizes, dispatch1D, program, threadsPerRow } from '../transformer/attention-train';

const SOURCE = {
  code: layernormWgsl,
  kinds: ['uniform', 'read', 'read', 'read', 'storage'] as const,
  entries: ['layernorm', 'layernorm_serial'],
};

const PARAMS = new UniformLayout([
  ['rows', 'u32'],
  ['channels', 'u32'],
  ['eps', 'f32'],
  ['threads_per_row', 'u32'],
  ['groups_x', 'u32'],
] as const);

export interface LayerNormShape {
  rows: number;
  channels: number;
  eps: number;
}

/** y[rows][C] = LayerNorm(x)·gain + bias; x and y must be different buffers. One dispatch. */
export function layerNorm(
  res: OpResources,
  label: string,
  s: LayerNormShape,
  b: { x: GPUBuffer; gain: GPUBuffer; bias: GPUBuffer; y: GPUBuffer },
): Dispatch[] {
  if (!(Number.isInteger(s.rows) && s.rows >= 1 && Number.isInteger(s.channels) && s.channels >= 1))
    throw new RangeError(`${label}: LayerNorm over ${s.rows} rows of ${s.channels}`);
  if (!(s.eps > 0 && Number.isFinite(s.eps))) throw new RangeError(`${label}: LayerNorm ε = ${s.eps}`);
  checkSizes(label, [
    [b.x, s.rows * s.channels],
    [b.gain, s.channels],
    [b.bias, s.channels],
    [b.y, s.rows * s.channels],
  ]);
  const prog = program(res.device, 'gpt2.layernorm', { ...SOURCE, kinds: [...SOURCE.kinds] });
  const buffers = (u: GPUBuffer) => [u, b.x, b.gain, b.bias, b.y];
  const max = res.device.limits.maxComputeWorkgroupsPerDimension;
  if (barrierFree(res.device)) {
    const values = { ...s, threads_per_row: threadsPerRow(res, s.rows), groups_x: 0 };
    const u = res.uniform(PARAMS, `${label}.params`, values);
    return [dispatch1D(res, prog, 'layernorm_serial', `${label}.bg`, buffers(u), s.rows)];
  }
  const x = Math.min(s.rows, max);
  const y = Math.ceil(s.rows / x);
  const u = res.uniform(PARAMS, `${label}.params`, { ...s, threads_per_row: 0, groups_x: x });
  const bindGroup = createBindGroup(res.device, `${label}.bg`, prog.layout, buffers(u));
  return [{ pipeline: prog.pipelines['layernorm']!, bindGroup, x, y }];
}
