/**
 * Gathers between funnel stages and the ranker's features (shaders/recommend/gather.wgsl), one thread per
 * output element. Parameters go through rings of uniform buffers (UniformRing, `<label>.rows.params[i]` and
 * `<label>.features.params[i]`): each entry point may be encoded up to RING_SLOTS (16) times per submit.
 */
import ranksWgsl from '../../../shaders/recommend/ranks.wgsl?raw';
import gatherWgsl from '../../../shaders/recommend/gather.wgsl?raw';
import { ComputeKernel, createComputePipeline, createStorageBuffer, grid1D } from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import { UniformRing } from '../../gpu/rings';
import { RANKER_FEATURES } from './funnel-spec';

const PARAMS = new UniformLayout([
  ['users', 'u32'],
  ['k', 'u32'],
  ['width', 'u32'],
  ['hasValues', 'u32'],
  ['threadsPerRow', 'u32'],
  ['pad0', 'u32'],
  ['pad1', 'u32'],
  ['pad2', 'u32'],
] as const);
type Ring = UniformRing<(typeof PARAMS.fields)[number][0]>;

const WORKGROUP = 256;

function checkRows(what: string, users: number, k: number): void {
  if (!(Number.isInteger(users) && users >= 1))
    throw new RangeError(`${what}: users must be a positive integer.`);
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`${what}: k must be a positive integer.`);
}

export class GatherKernel {
  private readonly rows: ComputeKernel<Ring>;
  private readonly features: ComputeKernel<Ring>;
  private readonly rowsPipeline: GPUComputePipeline;
  private readonly featuresPipeline: GPUComputePipeline;
  /** Bound in place of absent value buffers (read side and write side: one buffer cannot be both). */
  private readonly noValuesIn: GPUBuffer;
  private readonly noValuesOut: GPUBuffer;

  constructor(
    readonly device: GPUDevice,
    readonly label = 'recommend.gather',
  ) {
    const uniforms = { createBuffer: (d: GPUDevice, l: string) => new UniformRing(d, PARAMS, l) };
    const bindings = ['uniform', 'read', 'read', 'read', 'storage', 'storage'] as const;
    this.rows = new ComputeKernel(device, `${label}.rows`, { bindings, uniforms });
    this.features = new ComputeKernel(device, `${label}.features`, {
      bindings: ['uniform', 'read', 'read', 'read', 'read', 'storage'],
      uniforms,
    });
    const module = device.createShaderModule({ label, code: joinWgsl(ranksWgsl, gatherWgsl) });
    this.rowsPipeline = createComputePipeline(device, `${label}.rows`, module, this.rows.layout, 'gather');
    this.featuresPipeline = createComputePipeline(
      device,
      `${label}.features`,
      module,
      this.features.layout,
      'ranker_features',
    );
    this.noValuesIn = this.rows.own(createStorageBuffer(device, `${label}.no-values-in`, 16));
    this.noValuesOut = this.rows.own(createStorageBuffer(device, `${label}.no-values-out`, 16));
  }

  private grid(threads: number) {
    return grid1D(threads, WORKGROUP, this.device.limits.maxComputeWorkgroupsPerDimension);
  }

  /**
   * out[u][j] = src[u][positions[u][j]] for ids and (when both value buffers are given) values; a NO_PICK
   * position, or one ≥ width, gives NO_PICK and −FLT_MAX.
   */
  encodeGather(
    encoder: GPUCommandEncoder,
    shape: { users: number; k: number; width: number },
    positions: GPUBuffer,
    sourceIds: GPUBuffer,
    sourceValues: GPUBuffer | null,
    outIds: GPUBuffer,
    outValues: GPUBuffer | null,
  ): void {
    const { users, k, width } = shape;
    checkRows('Gather', users, k);
    if (!(Number.isInteger(width) && width >= 1))
      throw new RangeError('Gather: width must be a positive integer.');
    if ((sourceValues === null) !== (outValues === null))
      throw new RangeError('Gather: pass both value buffers or neither.');
    const grid = this.grid(users * k);
    const params = this.rows.params.next({
      users,
      k,
      width,
      hasValues: sourceValues ? 1 : 0,
      threadsPerRow: grid.threadsPerRow,
      pad0: 0,
      pad1: 0,
      pad2: 0,
    });
    const buffers = [
      params,
      positions,
      sourceIds,
      sourceValues ?? this.noValuesIn,
      outIds,
      outValues ?? this.noValuesOut,
    ];
    this.rows.encode(encoder, buffers, grid, { pipeline: this.rowsPipeline });
  }

  /** features [users·k][97] of the (user, ids[u][j]) pairs: [u, v, u⊙v, log pop]; zeros for NO_PICK. */
  encodeFeatures(
    encoder: GPUCommandEncoder,
    shape: { users: number; k: number },
    ids: GPUBuffer,
    userVecs: GPUBuffer,
    embeddings: GPUBuffer,
    logPop: GPUBuffer,
    features: GPUBuffer,
  ): void {
    const { users, k } = shape;
    checkRows('Features', users, k);
    const grid = this.grid(users * k * RANKER_FEATURES);
    const params = this.features.params.next({
      users,
      k,
      width: 0,
      hasValues: 0,
      threadsPerRow: grid.threadsPerRow,
      pad0: 0,
      pad1: 0,
      pad2: 0,
    });
    this.features.encode(encoder, [params, ids, userVecs, embeddings, logPop, features], grid, {
      pipeline: this.featuresPipeline,
    });
  }

  destroy(): void {
    this.rows.destroy();
    this.features.destroy();
  }
}
