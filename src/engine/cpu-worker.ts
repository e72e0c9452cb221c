/// <reference lib="webworker" />
// Web Worker entry: runs CPU reference jobs so the page never freezes on the CPU backend.
import { runCpuJob, type CpuJob } from './cpu-jobs';

self.onmessage = (event: MessageEvent<{ id: number; job: CpuJob }>) => {
  const { id, job } = event.data;
  try {
    (self as unknown as Worker).postMessage({ id, ok: true, value: runCpuJob(job) });
  } catch (e) {
    (self as unknown as Worker).postMessage({ id, ok: false, error: (e as Error).message });
  }
};
