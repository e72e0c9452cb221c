import momentsCommonWgsl from '../../../shaders/common/moments.wgsl?raw';
import matmulWgsl from '../../../shaders/nn/matmul.wgsl?raw';
import reluWgsl from '../../../shaders/nn/relu.wgsl?raw';
import activationWgsl from '../../../shaders/nn/activation.wgsl?raw';
import actFnsWgsl from '../../../shaders/nn/act_fns.wgsl?raw';
import channelStatsWgsl from '../../../shaders/nn/channel_stats.wgsl?raw';
import columnWgsl from '../../../shaders/nn/column.wgsl?raw';
import statsWgsl from '../../../shaders/nn/stats.wgsl?raw';
import batchnormWgsl from '../../../shaders/nn/batchnorm.wgsl?raw';
import batchnormBackwardWgsl from '../../../shaders/nn/batchnorm_backward.wgsl?raw';
import softmaxXentWgsl from '../../../shaders/nn/softmax_xent.wgsl?raw';
import adamWgsl from '../../../shaders/nn/adam.wgsl?raw';
import adamStepWgsl from '../../../shaders/nn/adam_step.wgsl?raw';
import mseWgsl from '../../../shaders/nn/mse.wgsl?raw';
import addWgsl from '../../../shaders/nn/add.wgsl?raw';
import embedWgsl from '../../../shaders/nn/embed.wgsl?raw';
import philoxWgsl from '../../../shaders/common/philox.wgsl?raw';
import boxMullerWgsl from '../../../shaders/common/box_muller.wgsl?raw';
import {
  createBindGroup,
  createBindGroupLayout,
  createComputePipeline,
  type BindingKind,
} from '../../gpu/compute';
import { joinWgsl } from '../../gpu/uniforms';

/**
 * Which family of kernels the ops record.
 * - 'workgroup': tiled matmul (16×16 tiles in workgroup memory) and one workgroup per channel for the
 *   BatchNorm/statistics reductions (tree merges behind workgroup barriers). For GPUs.
 * - 'barrier-free': 8×8 outputs per invocation for matmuls and one invocation per channel for the reductions
 *   (a binary-counter merge tree in registers), with no workgroup memory or barriers. For software adapters
 *   (SwiftShader, llvmpipe, WARP), which emulate a workgroup's invocations on the CPU: there each barrier costs
 *   far more than the arithmetic, and a load per multiply-add dominates. Measured on SwiftShader (2 loaded
 *   cores): a 256×128×128 matmul ~4 ms instead of ~90 ms, a BatchNorm forward over 64×128 ~0.5 ms instead
 *   of ~15 ms.
 * Both sum every dot product in the same k order, and both reductions are log-depth merge trees, so results
 * agree to within the f32 bounds the tests state.
 */
export type NnKernelStyle = 'workgroup' | 'barrier-free';

/**
 * Whether the device runs on a software adapter, from its adapter info (deterministic, unlike a timing
 * calibration, which on a loaded CPU would pick differently from run to run).
 */
export function isSoftwareDevice(device: GPUDevice): boolean {
  const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  if (!info) return false;
  return (
    Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter) ||
    /swiftshader|llvmpipe|lavapipe|warp/i.test(`${info.architecture} ${info.description}`)
  );
}

/** A whole buffer, or a view of one at an offset aligned to minStorageBufferOffsetAlignment. */
export type BufferOrView = GPUBuffer | GPUBufferBinding;

export interface NnProgram {
  layout: GPUBindGroupLayout;
  pipelines: Record<string, GPUComputePipeline>;
}

/** Shader modules, layouts and pipelines of the training core, made once per device. */
export class NnPipelines {
  readonly matmul: NnProgram;
  readonly relu: NnProgram;
  readonly activation: NnProgram;
  readonly stats: NnProgram;
  readonly bnForward: NnProgram;
  readonly bnBackward: NnProgram;
  readonly xent: NnProgram;
  readonly adam: NnProgram;
  /** Adam with the step counter and bias corrections on the GPU (adam_step.wgsl). */
  readonly adamStep: NnProgram;
  readonly mse: NnProgram;
  readonly add: NnProgram;
  readonly embed: NnProgram;
  /** One column of a matrix gathered into a small buffer (column.wgsl). */
  readonly column: NnProgram;
  /**
   * Kernel family of the ops recorded from now on (chosen from the adapter; tests set it to check both).
   * Ops already recorded keep theirs.
   */
  style: NnKernelStyle;

  constructor(readonly device: GPUDevice) {
    this.style = isSoftwareDevice(device) ? 'barrier-free' : 'workgroup';
    const make = (name: string, code: string, kinds: BindingKind[], entries: string[]): NnProgram => {
      const module = device.createShaderModule({ label: `nn.${name}`, code });
      const layout = createBindGroupLayout(device, `nn.${name}.bgl`, kinds);
      const pipelines: Record<string, GPUComputePipeline> = {};
      for (const e of entries)
        pipelines[e] = createComputePipeline(device, `nn.${name}.${e}`, module, layout, e);
      return { layout, pipelines };
    };
    this.matmul = make(
      'matmul',
      matmulWgsl,
      ['uniform', 'read', 'read', 'read', 'storage', 'storage'],
      ['matmul', 'column_sum', 'matmul_direct', 'matmul_block8'],
    );
    this.relu = make(
      'relu',
      reluWgsl,
      ['uniform', 'read', 'read', 'storage'],
      ['relu_forward', 'relu_backward'],
    );
    this.activation = make(
      'activation',
      joinWgsl(actFnsWgsl, activationWgsl),
      ['uniform', 'read', 'read', 'storage'],
      ['activation_forward', 'activation_backward'],
    );
    this.stats = make(
      'stats',
      joinWgsl(momentsCommonWgsl, channelStatsWgsl, statsWgsl),
      ['uniform', 'read', 'storage'],
      ['channel_stats', 'channel_stats_serial'],
    );
    this.bnForward = make(
      'batchnorm',
      joinWgsl(momentsCommonWgsl, channelStatsWgsl, actFnsWgsl, batchnormWgsl),
      ['uniform', 'read', 'read', 'storage', 'storage', 'storage', 'storage', 'storage', 'storage'],
      ['bn_forward', 'bn_forward_serial'],
    );
    this.bnBackward = make(
      'batchnorm_backward',
      joinWgsl(actFnsWgsl, batchnormBackwardWgsl),
      ['uniform', 'read', 'read', 'read', 'read', 'read', 'storage', 'storage'],
      ['bn_backward', 'bn_backward_serial'],
    );
    this.xent = make(
      'softmax_xent',
      softmaxXentWgsl,
      ['uniform', 'read', 'read', 'storage', 'storage', 'storage'],
      ['xent_rows', 'xent_reduce'],
    );
    this.adam = make('adam', adamWgsl, ['uniform', 'read', 'storage', 'storage', 'storage'], ['adam']);
    this.adamStep = make(
      'adam_step',
      adamStepWgsl,
      ['uniform', 'read', 'storage', 'storage', 'storage', 'storage'],
      ['adam_tick', 'adam'],
    );
    this.mse = make(
      'mse',
      mseWgsl,
      ['uniform', 'read', 'read', 'storage', 'storage', 'storage'],
      ['mse_rows', 'mse_reduce'],
    );
    this.add = make('add', addWgsl, ['uniform', 'read', 'read', 'storage'], ['add']);
    // The embedding uses the accurate argument-reduced sin/cos (cos_sin_turns) of box_muller.wgsl.
    this.embed = make(
      'embed',
      joinWgsl(philoxWgsl, boxMullerWgsl, embedWgsl),
      ['uniform', 'read', 'read', 'read', 'storage'],
      ['embed'],
    );
    this.column = make('column', columnWgsl, ['uniform', 'read', 'storage'], ['gather_column']);
  }

  /** A bind group over whole buffers or views (GPUBufferBinding: buffer, offset, size), in binding order. */
  bind(program: NnProgram, label: string, buffers: BufferOrView[]): GPUBindGroup {
    if (buffers.every((b): b is GPUBuffer => !('buffer' in b)))
      return createBindGroup(this.device, label, program.layout, buffers);
    return this.device.createBindGroup({
      label,
      layout: program.layout,
      entries: buffers.map((b, binding) => ({ binding, resource: 'buffer' in b ? b : { buffer: b } })),
    });
  }
}

const cache = new WeakMap<GPUDevice, NnPipelines>();

export function nnPipelines(device: GPUDevice): NnPipelines {
  let p = cache.get(device);
  if (!p) {
    p = new NnPipelines(device);
    cache.set(device, p);
  }
  return p;
}

/** A dispatch recorded once (pipeline, bind group, workgroup counts) and replayed every step. */
export interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  x: number;
  y?: number;
}

export function encodeDispatches(pass: GPUComputePassEncoder, list: readonly Dispatch[]): void {
  for (const d of list) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.x, d.y ?? 1);
  }
}
