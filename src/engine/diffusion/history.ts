/**
 * The GPU engine's step-back snapshots: one buffer of `slots` slots of `bytes` each (slot i at offset
 * i·bytes), allocated on the first snapshot and kept across restarts and setups while it is big enough, so
 * steady-state stepping creates no GPU buffers. When full, the snapshot of the earliest step is dropped; a
 * step without a snapshot is recomputed from the nearest earlier one (every random number is a pure function
 * of seed, particle and timestep, so the replay gives the same numbers).
 */
import { createStorageBuffer } from '../../gpu/compute';

export interface HistorySizing {
  /** Bytes of one snapshot (N·D·4). */
  bytes: number;
  /** Budget for all snapshots, bytes. */
  budget: number;
  /** Most snapshots worth keeping (the longest chain: T). */
  maxSteps: number;
}

export class GpuHistory {
  private buffer: GPUBuffer | null = null;
  private slots = 0;
  private sizing: HistorySizing | null = null;
  private sized = false;
  /** Step index → slot. */
  private readonly snapshots = new Map<number, number>();
  private free: number[] = [];

  constructor(private readonly device: GPUDevice) {}

  /** Forgets every snapshot; the next one sizes the slots for `sizing` (a new setup). */
  reset(sizing: HistorySizing | null): void {
    this.sizing = sizing;
    this.sized = false;
    this.snapshots.clear();
    this.free = [];
  }

  /** Forgets every snapshot, keeping the slots (a restart of the same setup). */
  drop(): void {
    for (const slot of this.snapshots.values()) this.free.push(slot);
    this.snapshots.clear();
  }

  /**
   * Sizes the slots: as many as the budget and maxBufferSize allow, at most maxSteps. An existing buffer big
   * enough is reused. Returns the number of slots (0: no history, step back replays).
   */
  private size(): number {
    if (this.sized) return this.slots;
    this.sized = true;
    if (!this.sizing) return (this.slots = 0);
    const { bytes, budget, maxSteps } = this.sizing;
    const limit = Math.min(budget, this.device.limits.maxBufferSize);
    const wanted = Math.min(Math.floor(limit / bytes), maxSteps);
    if (wanted < 1) {
      this.slots = 0;
    } else if (this.buffer && Math.floor(this.buffer.size / bytes) >= wanted) {
      this.slots = Math.min(Math.floor(this.buffer.size / bytes), Math.floor(limit / bytes));
    } else {
      this.buffer?.destroy();
      this.buffer = createStorageBuffer(this.device, 'diffusion.history', wanted * bytes);
      this.slots = wanted;
    }
    this.snapshots.clear();
    this.free = Array.from({ length: this.slots }, (_, i) => this.slots - 1 - i);
    return this.slots;
  }

  /** Encodes a copy of `src` as the snapshot of step k (nothing if it has one or there is no room at all). */
  encodeSave(encoder: GPUCommandEncoder, k: number, src: GPUBuffer): void {
    if (this.snapshots.has(k) || this.size() < 1) return;
    if (this.free.length === 0) {
      const oldest = Math.min(...this.snapshots.keys());
      this.free.push(this.snapshots.get(oldest)!);
      this.snapshots.delete(oldest);
    }
    const slot = this.free.pop()!;
    const bytes = this.sizing!.bytes;
    encoder.copyBufferToBuffer(src, 0, this.buffer!, slot * bytes, bytes);
    this.snapshots.set(k, slot);
  }

  /** Encodes restoring the latest snapshot at or before `target` into `dst`; its step index, or −1 if none. */
  encodeRestore(encoder: GPUCommandEncoder, target: number, dst: GPUBuffer): number {
    let from = -1;
    for (const j of this.snapshots.keys()) if (j <= target && j > from) from = j;
    if (from < 0) return -1;
    const bytes = this.sizing!.bytes;
    encoder.copyBufferToBuffer(this.buffer!, this.snapshots.get(from)! * bytes, dst, 0, bytes);
    return from;
  }

  destroy(): void {
    this.reset(null);
    this.buffer?.destroy();
    this.buffer = null;
    this.slots = 0;
  }
}
