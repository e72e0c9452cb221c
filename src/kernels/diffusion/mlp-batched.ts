/**
 * The batched ε-MLP (shaders/diffusion/mlp_batched.wgsl, issue #15 item 3): blocks of particles through every
 * layer in one dispatch, activations in workgroup memory, weights repacked once at upload for vec4 loads.
 * The block size follows the device's workgroup limits (mlpBlockPlan).
 */
import mlpBatchedWgsl from '../../../shaders/diffusion/mlp_batched.wgsl?raw';
import mlpIoWgsl from '../../../shaders/diffusion/mlp_io.wgsl?raw';
import { createStorageBuffer } from '../../gpu/compute';
import { embeddingSize, parameterLayout, type MlpConfig, type MlpWeights } from './spec';
import { denoiserKernel, encodeDenoiser, withNoise, type DenoiseArgs, type EpsilonModel } from './common';
import { isSoftwareDevice } from '../nn/pipelines';
import { MLP_PARAMS, MlpDenoiser, checkMlpWeights, mlpHeader, mlpUniforms } from './mlp';

/** Particles per invocation (rows of its register block) and hidden units per invocation (2 vec4s). */
const ROWS = 4;
const COLS = 8;
/** Block sizes tried, largest first. */
const BLOCKS = [64, 32, 16, 8, 4] as const;
/**
 * On a software adapter: the batched family with blocks of at most 8 particles. Measured on SwiftShader
 * (width 128, 2000 particles): 157–223 ms per evaluation at 8, 450–550 ms at 64 (whose 32 KiB of workgroup
 * memory also takes ~5 s to compile: Dawn zero-initialises it), 520–570 ms per-particle.
 */
const FAMILY_ON_SOFTWARE: MlpFamily = 'batched';
const SOFTWARE_BLOCK = 8;

/** The workgroup limits a plan must respect (a GPUDevice's `limits` has them). */
export interface WorkgroupLimits {
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
}

/** How a config runs: particles per workgroup, invocations, padded widths and workgroup bytes. */
export interface MlpBlockPlan {
  particles: number;
  invocations: number;
  /** Hidden width padded to a multiple of 8, embedding width padded to a multiple of 4. */
  hiddenPad: number;
  inputPad: number;
  workgroupBytes: number;
}

const roundUp = (v: number, m: number) => Math.ceil(v / m) * m;

/**
 * The largest block (64, 32, … 4 particles, at most `maxParticles`) whose activations (block × max(E, H)
 * f32, padded) fit in maxComputeWorkgroupStorageSize and whose invocations fit the invocation limits; when
 * none does, a message naming the limit (createMlpDenoiser then uses the per-particle kernel).
 */
export function mlpBlockPlan(
  c: MlpConfig,
  limits: WorkgroupLimits,
  maxParticles = 64,
): MlpBlockPlan | string {
  const hiddenPad = roundUp(c.hidden, COLS);
  const inputPad = roundUp(embeddingSize(c), 4);
  const maxThreads = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  let reason = '';
  for (const particles of BLOCKS) {
    if (particles > maxParticles) continue;
    const workgroupBytes = particles * Math.max(hiddenPad, inputPad) * 4;
    const invocations = (particles / ROWS) * (hiddenPad / COLS);
    if (workgroupBytes > limits.maxComputeWorkgroupStorageSize) {
      reason =
        `${workgroupBytes} bytes of activations for ${particles} particles exceed ` +
        `maxComputeWorkgroupStorageSize (${limits.maxComputeWorkgroupStorageSize})`;
    } else if (invocations > maxThreads) {
      reason =
        `${invocations} invocations exceed maxComputeInvocationsPerWorkgroup/maxComputeWorkgroupSizeX ` +
        `(${maxThreads})`;
    } else return { particles, invocations, hiddenPad, inputPad, workgroupBytes };
  }
  return `The batched MLP kernel does not fit this device: ${reason}.`;
}

/**
 * The weights in the batched kernel's layout (f32, a multiple of 4 long): each layer's W transposed to
 * [in][out] with rows of `hiddenPad`, `inputPad` rows for W_in, zero padding; biases padded to `hiddenPad`;
 * W_out as [d][hiddenPad]; b_out padded to a multiple of 4.
 */
export function repackMlpWeights(model: MlpWeights, plan: Pick<MlpBlockPlan, 'hiddenPad' | 'inputPad'>) {
  const c = model.config;
  const L = parameterLayout(c);
  const p = model.params;
  const HP = plan.hiddenPad;
  const size = plan.inputPad * HP + HP + c.blocks * (HP * HP + HP) + c.dim * HP + roundUp(c.dim, 4);
  const out = new Float32Array(size);
  let o = 0;
  const transposed = (w: number, b: number, cols: number, rowsPad: number) => {
    for (let j = 0; j < L.H; j++) for (let k = 0; k < cols; k++) out[o + k * HP + j] = p[w + j * cols + k]!;
    o += rowsPad * HP;
    out.set(p.subarray(b, b + L.H), o);
    o += HP;
  };
  transposed(L.wIn, L.bIn, L.E, plan.inputPad);
  for (const blk of L.blocks) transposed(blk.w, blk.b, L.H, HP);
  const offsets = { wOut: o, bOut: o + c.dim * HP };
  for (let d = 0; d < c.dim; d++) out.set(p.subarray(L.wOut + d * L.H, L.wOut + (d + 1) * L.H), o + d * HP);
  out.set(p.subarray(L.bOut, L.bOut + c.dim), offsets.bOut);
  return { data: out, offsets };
}

/** The WGSL header for a config and plan (mlp.wgsl's constants, then the block and layout constants). */
function batchedHeader(model: MlpWeights, plan: MlpBlockPlan, offsets: { wOut: number; bOut: number }) {
  const HP = plan.hiddenPad;
  const blockSize = HP * HP + HP;
  const block0 = plan.inputPad * HP + HP;
  const u = (name: string, v: number) => `const ${name}: u32 = ${v}u;`;
  return [
    mlpHeader(model),
    u('BLOCK_P', plan.particles),
    u('WG', plan.invocations),
    u('HP', HP),
    u('HP4', HP / 4),
    u('EP4', plan.inputPad / 4),
    u('K4MAX', Math.max(HP, plan.inputPad) / 4),
    u('W_IN', 0),
    u('B_IN', (plan.inputPad * HP) / 4),
    u('BLOCK0', block0 / 4),
    u('BLOCK_SIZE', blockSize / 4),
    u('W_OUT', offsets.wOut / 4),
    u('B_OUT', offsets.bOut / 4),
  ].join('\n');
}

export interface BatchedOptions {
  /** Largest block tried (default: 64 on a GPU, SOFTWARE_BLOCK on a software adapter). */
  maxParticles?: number;
}

/**
 * The batched ε-MLP denoiser: same bindings, uniforms and outputs as MlpDenoiser (the per-particle family).
 * Owns its repacked weight buffer (`<label>.weights`). Throws a RangeError naming the limit when the device
 * cannot hold even the smallest block (createMlpDenoiser then falls back).
 */
export class BatchedMlpDenoiser implements EpsilonModel {
  readonly name = 'mlp';
  readonly family = 'batched' as const;
  readonly dim: number;
  readonly plan: MlpBlockPlan;
  private readonly weights: GPUBuffer;
  private readonly kernel;

  constructor(
    device: GPUDevice,
    readonly model: MlpWeights,
    label = 'diffusion.mlp',
    options: BatchedOptions = {},
  ) {
    checkMlpWeights(model);
    const plan = mlpBlockPlan(model.config, device.limits, options.maxParticles ?? blockCapFor(device));
    if (typeof plan === 'string') throw new RangeError(plan);
    this.plan = plan;
    this.dim = model.config.dim;
    const packed = repackMlpWeights(model, plan);
    const code = withNoise(`${batchedHeader(model, plan, packed.offsets)}\n${mlpIoWgsl}\n${mlpBatchedWgsl}`);
    this.kernel = denoiserKernel(device, label, code, 'mlp_batched', MLP_PARAMS);
    const bytes = packed.data.byteLength;
    this.weights = this.kernel.own(createStorageBuffer(device, `${label}.weights`, bytes));
    device.queue.writeBuffer(this.weights, 0, packed.data.buffer, 0, bytes);
  }

  encode(encoder: GPUCommandEncoder, a: DenoiseArgs): void {
    // One workgroup per block of particles: the 1D grid of ⌈count/particles⌉ groups (rows of
    // threadsPerRow particles when it needs a second dimension).
    const model = { dim: this.dim, workgroup: this.plan.particles, data: () => this.weights };
    encodeDenoiser(this.kernel, encoder, a, model, (threadsPerRow) => mlpUniforms(a, threadsPerRow));
  }

  destroy(): void {
    this.kernel.destroy();
  }
}

/**
 * The two ε-MLP kernel families, chosen by adapter as the nn and attention kernels are: `particle` (mlp.wgsl,
 * one invocation per particle) and `batched` (mlp_batched.wgsl). Same bindings and results.
 */
export type MlpFamily = 'particle' | 'batched';

/** The largest block the batched family uses on a device by default. */
function blockCapFor(device: GPUDevice): number {
  return isSoftwareDevice(device) ? SOFTWARE_BLOCK : 64;
}

/** The family for a device: FAMILY_ON_SOFTWARE on a software adapter (SwiftShader, …), `batched` on a GPU. */
export function mlpFamilyFor(device: GPUDevice): MlpFamily {
  return isSoftwareDevice(device) ? FAMILY_ON_SOFTWARE : 'batched';
}

/**
 * The ε-MLP denoiser of `family` (default: mlpFamilyFor). `batched` falls back to `particle` when the device
 * cannot hold a block (the denoiser's `fallback` names the limit).
 */
export function createMlpDenoiser(
  device: GPUDevice,
  model: MlpWeights,
  label = 'diffusion.mlp',
  family: MlpFamily = mlpFamilyFor(device),
  options: BatchedOptions = {},
): (MlpDenoiser | BatchedMlpDenoiser) & { fallback?: string } {
  if (family === 'particle') return new MlpDenoiser(device, model, label);
  checkMlpWeights(model);
  const plan = mlpBlockPlan(model.config, device.limits, options.maxParticles ?? blockCapFor(device));
  if (typeof plan === 'string')
    return Object.assign(new MlpDenoiser(device, model, label), { fallback: plan });
  return new BatchedMlpDenoiser(device, model, label, options);
}
